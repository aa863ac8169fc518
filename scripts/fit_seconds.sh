#!/usr/bin/env bash
# Wall seconds of whole `scurve fit` runs as a user runs them (the default model, default
# extensions), seed by seed, and how many came in under a limit: the figure behind "the default
# fit takes about five seconds". Each fit's time is from start to exit of the process (the start
# at the joint mode, the pilot, warm-up, draws, every extension and the diagnostics), so it
# includes what `sampling_seconds` leaves out. A fit passes when `--strict` finds no warning (the
# fit's own checks: R-hat, bulk ESS, divergences, E-BFMI). Compare only figures from one run of
# this script.
#
# usage: scripts/fit_seconds.sh DATA [HOLDOUT_ABOVE]
#   e.g. scripts/fit_seconds.sh ../shared/data/tidy/opt-0shot.csv 13B
#        scripts/fit_seconds.sh ../shared/data/tidy/pythia-0shot.csv 2.8B
# SEEDS: the seeds to run (default "1 2 3 4 5 6")
# LIMIT: the wall seconds counted against (default 5)
# SCURVE_ARGS: further `scurve fit` arguments, e.g. "--draw-depth 8" or "--model reference"
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(realpath "$1")
holdout=${2:+--holdout-above $2}
seeds=${SEEDS:-1 2 3 4 5 6}
limit=${LIMIT:-5}
cargo build --release -q
echo "data: $1${2:+, held out above $2}${SCURVE_ARGS:+, $SCURVE_ARGS}"
python3 - "$data" "$limit" "$seeds" ${holdout} ${SCURVE_ARGS:-} <<'EOF'
import json, statistics, subprocess, sys, time

data, limit, seeds, extra = sys.argv[1], float(sys.argv[2]), sys.argv[3].split(), sys.argv[4:]
walls, passed, under = [], 0, 0
for seed in seeds:
    cmd = ["./target/release/scurve", "fit", data, "--seed", seed, "--json", "--quiet", "--strict", *extra]
    start = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    # exit 3: the fit's warnings under --strict
    if run.returncode not in (0, 3):
        sys.exit(f"seed {seed}: scurve exited {run.returncode}: {run.stderr.strip()}")
    d = json.loads(run.stdout)["diagnostics"]
    ok = run.returncode == 0
    walls.append(wall)
    passed += ok
    under += wall < limit
    print(
        f"seed {seed}: {wall:.2f} s wall, {d['draws_per_chain']} draws per chain, "
        f"R-hat {d['rhat_max']:.4f}, min bulk ESS {d['ess_bulk_min']:.0f}, "
        f"{d['divergences']} divergences, sampling {d['sampling_seconds']:.2f} s"
        + ("" if ok else "  (falls short)")
    )
print(
    f"{len(walls)} fits: wall {min(walls):.2f}-{max(walls):.2f} s, mean {statistics.mean(walls):.2f}, "
    f"median {statistics.median(walls):.2f}; under {limit:g} s: {under} of {len(walls)}; "
    f"passed every check: {passed} of {len(walls)}"
)
EOF
