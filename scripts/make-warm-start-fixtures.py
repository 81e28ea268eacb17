#!/usr/bin/env python3
"""Writes the scikit-learn fixture of warm and partial starts on Examples/iris.csv (K = 3).

Run by hand (CI does not need Python):  pip install scikit-learn && python3 scripts/make-warm-start-fixtures.py

- warm: GaussianMixture(warm_start=True, max_iter=1) fitted again and again from the k-means
  start of random_state=0 (recorded as `init`): lower_bound_, converged_ and n_iter_ after each
  call. scikit-learn measures each call's change against the previous call's lower_bound_,
  so the sequence converges like one long fit.
- partial: means_init alone, then weights_init with precisions_init, the rest from k-means
  (random_state=0, whose labels are recorded), tol=0, 10 iterations: the lower bounds and the
  final parameters.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "Tests", "GaussianMixturesTests", "Fixtures", "warm-start-iris.json")


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    X = np.loadtxt(os.path.join(ROOT, "Examples", "iris.csv"), delimiter=",", skiprows=1)
    start = GaussianMixture(n_components=3, max_iter=0, random_state=0).fit(X)
    warm = GaussianMixture(n_components=3, max_iter=1, warm_start=True, random_state=0)
    calls = []
    for _ in range(30):
        warm.fit(X)
        calls.append({"lower_bound": warm.lower_bound_, "converged": bool(warm.converged_), "n_iter": warm.n_iter_})

    means_init = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.4, 1.4], [6.8, 3.0, 5.7, 2.1]])
    weights_init = np.array([0.2, 0.3, 0.5])
    precisions_init = np.array([np.linalg.inv(np.cov(X.T) / k) for k in (2.0, 3.0, 4.0)])
    partial = {}
    for name, kwargs in [("means", {"means_init": means_init}),
                         ("weights_precisions", {"weights_init": weights_init, "precisions_init": precisions_init})]:
        gm = GaussianMixture(n_components=3, tol=0, max_iter=10, random_state=0, **kwargs).fit(X)
        partial[name] = {"lower_bounds": gm.lower_bounds_, "weights": gm.weights_.tolist(),
                         "means": gm.means_.tolist(), "covariances": gm.covariances_.tolist()}
    from sklearn.cluster import KMeans
    labels = KMeans(n_clusters=3, n_init=1, random_state=np.random.RandomState(0)).fit(X).labels_
    payload = {
        "sklearn_version": sklearn.__version__,
        "init": {"weights": start.weights_.tolist(), "means": start.means_.tolist(),
                 "covariances": start.covariances_.tolist()},
        "warm": calls,
        "means_init": means_init.tolist(),
        "weights_init": weights_init.tolist(),
        "precisions_init": precisions_init.tolist(),
        "kmeans_labels": labels.tolist(),
        "partial": partial,
    }
    with open(FIXTURE, "w") as f:
        json.dump(payload, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", FIXTURE)
    print([c["converged"] for c in calls].index(True) + 1, "calls to converge")


if __name__ == "__main__":
    main()
