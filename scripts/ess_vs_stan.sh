#!/usr/bin/env bash
# ESS per second of scurve and of the Stan reference on the same tidy CSV, one after the other,
# with the reference model and the same holdout, then the ratio of scurve's mean ESS/s to Stan's.
# Compare only figures from one run of this script.
#
# usage: scripts/ess_vs_stan.sh DATA.csv LOG10_CUTOFF
#   e.g. scripts/ess_vs_stan.sh ../shared/data/tidy/opt-0shot.csv 10.2
# STAN_PYTHON: a Python with pystan, arviz and numpy (see ../shared/anchors/README.md);
#              default: python3
# SEEDS: the scurve seeds to run (default "1"); one run's ESS/s varies about twofold between
#        seeds, so a speed claim wants several, e.g. SEEDS="1 2 3 4 5 6". Stan runs once.
# SCURVE_ARGS: further `scurve fit` arguments, e.g. "--extend 0" for exactly 1000 draws per
#              chain, as Stan draws (by default a fit short of R-hat 1.01 or ESS 400 draws more),
#              and "--draw-depth 8" for draws of 2^8 leapfrog steps after the NUTS warm-up
#              (docs/sampling.md, "Fixed-length draws")
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(realpath "$1")
cut=$2
py=${STAN_PYTHON:-python3}
seeds=${SEEDS:-1}
cargo build --release -q
size=$(python3 -c "print(10**$cut)")
echo "data: $1, sizes up to 10^$cut"
rates=()
for seed in $seeds; do
  line=$(./target/release/scurve fit "$data" --model reference --holdout-above "$size" --seed "$seed" --json --quiet ${SCURVE_ARGS:-} \
    | python3 -c 'import json,sys; d=json.load(sys.stdin)["diagnostics"]; print(json.dumps({k: round(d[k], 3) for k in ["sampling_seconds","ess_bulk_min","ess_bulk_per_second","rhat_max","divergences","mean_tree_depth","draws_per_chain"]}))')
  echo "scurve (seed $seed): $line"
  rates+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ess_bulk_per_second"])' "$line")")
done
if [ ${#rates[@]} -gt 1 ]; then
  python3 -c 'import sys; r=[float(v) for v in sys.argv[1:]]; print(f"scurve mean ESS/s over {len(r)} seeds: {sum(r)/len(r):.2f} (range {min(r):.2f}-{max(r):.2f})")' "${rates[@]}"
fi
stan=$(cd ../shared/anchors && "$py" stan_fit.py "$data" --holdout-above "$cut" 2>/dev/null | grep '^{"build_s"') \
  || { echo "stan: the reference run failed (STAN_PYTHON needs pystan, arviz and numpy)" >&2; exit 1; }
echo "stan:   $stan"
# the ratio of scurve's mean ESS/s to Stan's, and its range over the seeds
python3 -c 'import json,sys; s=json.loads(sys.argv[1])["ess_per_s"]; r=[float(v) for v in sys.argv[2:]]; print(f"ratio: {sum(r)/len(r)/s:.1f}x (range {min(r)/s:.1f}-{max(r)/s:.1f}x over {len(r)} seeds)")' "$stan" "${rates[@]}"
