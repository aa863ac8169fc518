"""Are scores of a task still at chance spread as a binomial would spread them?

For each MMLU subject of a tidy ladder, the four smallest models (all at chance): the variance
of their scores, about their mean and about a straight line in log10 size (in case the task
had begun to rise), over the binomial variance p(1 - p)/n. Under a binomial both ratios average
1 (chi-square over its degrees of freedom); below 1 the scores vary less from model to model
than fresh draws of n items would. Standard library only:
`python3 scripts/dispersion.py ../shared/data/tidy/opt-0shot.csv ...` (docs/validation.md).
"""

import collections
import csv
import math
import statistics as st
import sys

for path in sys.argv[1:]:
    by = collections.defaultdict(list)
    for r in csv.DictReader(open(path)):
        by[r["task"]].append((float(r["params"]), int(r["correct"]), int(r["n"])))
    flat, line = [], []
    for task, v in by.items():
        if not task.startswith("hendrycksTest"):
            continue
        v.sort()
        x = [math.log10(s) for s, _, _ in v[:4]]
        y = [c / n for _, c, n in v[:4]]
        n = st.mean(n for _, _, n in v[:4])
        p = st.mean(y)
        binomial = p * (1 - p) / n
        flat.append(st.variance(y) / binomial)
        slope = st.covariance(x, y) / st.variance(x)
        rss = sum((yi - p - slope * (xi - st.mean(x))) ** 2 for xi, yi in zip(x, y))
        line.append(rss / 2 / binomial)
    print(
        f"{path}: {len(flat)} subjects; variance over the binomial's, mean (median): "
        f"about the mean {st.mean(flat):.2f} ({st.median(flat):.2f}), "
        f"about a line {st.mean(line):.2f} ({st.median(line):.2f})"
    )
