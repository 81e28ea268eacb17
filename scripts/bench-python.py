#!/usr/bin/env python3
"""Times whole `fit()` calls of gaussianmixtures.GaussianMixture against
sklearn.mixture.GaussianMixture on the workloads W1-W4 of BENCHMARKS.md: 10 EM iterations
(tol=0, max_iter=10) from the same start (weights_init, means_init, precisions_init), full
covariances, float64, default threads; best of --repeats. The boundary's costs (validation,
ctypes, copying the parameters out) are inside the timed call.

Run in the venv of scripts/test-python:  .venv-python/bin/python scripts/bench-python.py
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from gaussianmixtures import GaussianMixture

WORKLOADS = {"W1": (100_000, 16, 16), "W2": (1_000_000, 8, 8), "W3": (50_000, 64, 32), "W4": (200_000, 2, 3)}


def workload(n, d, k, seed):
    """As gmm-bench makes W1-W4: n rows sampled from a random mixture of k Gaussians in d
    dimensions (means 6 sigma apart on average, covariances A Aᵀ + I/2 with A ~ N(0, 1/d)), and a
    start of one EM iteration from k-means++ seeds (given to both packages as weights_init,
    means_init and precisions_init)."""
    rng = np.random.default_rng(seed)
    means = 6 * rng.normal(size=(k, d))
    a = rng.normal(scale=1 / np.sqrt(d), size=(k, d, d))
    factors = np.linalg.cholesky(a @ a.transpose(0, 2, 1) + 0.5 * np.eye(d))
    labels = rng.integers(k, size=n)
    X = np.ascontiguousarray(means[labels] + np.einsum("nij,nj->ni", factors[labels], rng.normal(size=(n, d))))
    first = GaussianMixture(k, init_params="k-means++", max_iter=1, random_state=3).fit(X)
    start = dict(weights_init=first.weights_, means_init=first.means_, precisions_init=first.precisions_)
    return X, start


def best_time(make, X, repeats):
    best, model = np.inf, None
    for _ in range(repeats):
        estimator = make()
        started = time.perf_counter()
        estimator.fit(X)
        best = min(best, time.perf_counter() - started)
        model = estimator
    return best, model


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sklearn-repeats", type=int, default=2)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("| workload | N | D | K | gaussianmixtures fit() | float32 fit() | scikit-learn fit() | speed-up | float32 speed-up "
          "| lower bound: ours vs sklearn |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.workloads.split(","):
        n, d, k = WORKLOADS[name]
        X, start = workload(n, d, k, seed=int(name[1:]))
        params = dict(n_components=k, covariance_type="full", tol=0, max_iter=10, init_params="random_from_data",
                      random_state=0, **start)
        ours, model = best_time(lambda: GaussianMixture(**params), X, args.repeats)
        X32 = X.astype(np.float32)
        ours32, _ = best_time(lambda: GaussianMixture(**params), X32, args.repeats)
        theirs, reference = best_time(lambda: SklearnGaussianMixture(**params), X, args.sklearn_repeats)
        gap = abs(model.lower_bound_ - reference.lower_bound_) / abs(reference.lower_bound_)
        print(f"| {name} | {n} | {d} | {k} | {ours * 1e3:.1f} ms | {ours32 * 1e3:.1f} ms | {theirs * 1e3:.0f} ms "
              f"| {theirs / ours:.1f}x | {theirs / ours32:.1f}x | {gap:.1e} |", flush=True)


if __name__ == "__main__":
    main()
