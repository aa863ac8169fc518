"""How often converged chains show an R-hat above 1.01, by their bulk ESS.

Four AR(1) chains, each started from its stationary distribution (so converged by
construction), with the autocorrelation chosen to give a bulk ESS of about 1000, 580 and 330
over 4 x 1000 draws; ArviZ's rank-normalised split R-hat and bulk ESS, 400 repeats each.
Run with a Python that has numpy and arviz: `python scripts/rhat_noise.py` (docs/sampling.md,
"Extending a fit that falls short", gives its figures).
"""

import arviz as az
import numpy as np

rng = np.random.default_rng(1)


def chains(rho, n=1000, m=4):
    x = np.empty((m, n))
    e = rng.standard_normal((m, n)) * np.sqrt(1 - rho**2)
    x[:, 0] = rng.standard_normal(m)
    for t in range(1, n):
        x[:, t] = rho * x[:, t - 1] + e[:, t]
    return x


print(f"arviz {az.__version__}")
print("draws/chain  rho   bulk ESS (median)  P(R-hat > 1.01)  R-hat 95% quantile")
for n in (1000, 3000):
    for rho in (0.6, 0.75, 0.85):
        rhat, ess = [], []
        for _ in range(400):
            x = chains(rho, n)
            rhat.append(float(az.rhat(x)))
            ess.append(float(az.ess(x)))
        rhat = np.array(rhat)
        print(f"{n:11d}  {rho:.2f}  {np.median(ess):17.0f}  {(rhat > 1.01).mean():15.3f}  {np.quantile(rhat, 0.95):18.4f}")
