#!/usr/bin/env python3
"""Writes the scikit-learn fixtures the Swift tests compare with, and Examples/iris.csv.

Run by hand (CI does not need Python):  pip install scikit-learn && python3 scripts/make-fixtures.py

Each EM fixture holds the data, a starting model (weights, means, covariances), and what
scikit-learn's GaussianMixture computes from that start with tol=0 for a fixed number of
iterations: the lower bound after every iteration, the final parameters, and the per-sample
log-likelihoods, responsibilities and BIC/AIC of the final model.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "GaussianMixturesTests", "Fixtures")


def write(name, payload):
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, name), "w") as f:
        json.dump(payload, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", name)


def em_fixture(name, X, weights, means, covariances, iterations, reg_covar=1e-6):
    precisions = np.array([np.linalg.inv(c) for c in covariances])
    gm = GaussianMixture(
        n_components=len(weights), covariance_type="full", tol=0.0, reg_covar=reg_covar,
        max_iter=iterations, weights_init=weights, means_init=means, precisions_init=precisions,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    write(name, {
        "sklearn_version": sklearn.__version__,
        "X": X.tolist(),
        "reg_covar": reg_covar,
        "iterations": iterations,
        "init": {"weights": list(weights), "means": means.tolist(), "covariances": covariances.tolist()},
        "lower_bounds": [float(v) for v in gm.lower_bounds_],
        "n_iter": int(gm.n_iter_),
        "weights": gm.weights_.tolist(),
        "means": gm.means_.tolist(),
        "covariances": gm.covariances_.tolist(),
        "score_samples": gm.score_samples(X).tolist(),
        "predict_proba": gm.predict_proba(X).tolist(),
        "score": float(gm.score(X)),
        "bic": float(gm.bic(X)),
        "aic": float(gm.aic(X)),
    })


def main():
    iris = load_iris()
    X = iris.data.astype(np.float64)

    # The bundled example data: the 150 Iris flowers, four measurements in cm.
    os.makedirs(os.path.join(ROOT, "Examples"), exist_ok=True)
    with open(os.path.join(ROOT, "Examples", "iris.csv"), "w") as f:
        f.write("sepal_length,sepal_width,petal_length,petal_width\n")
        for row in X:
            f.write(",".join(f"{v:g}" for v in row) + "\n")
    print("wrote Examples/iris.csv")

    # Iris, 4-D, K=3: start from three rows and the pooled covariance, equal weights.
    start_rows = [0, 60, 120]
    cov = np.cov(X.T, bias=True)
    em_fixture("em-iris-full.json", X, np.full(3, 1 / 3), X[start_rows].copy(),
               np.array([cov, cov, cov]), iterations=25)

    # Synthetic 5-D, K=4: well-separated but overlapping blobs with random full covariances.
    rng = np.random.default_rng(20261127)
    d, k, n = 5, 4, 400
    centers = rng.normal(scale=4.0, size=(k, d))
    parts = []
    for c in range(k):
        a = rng.normal(size=(d, d))
        parts.append(rng.multivariate_normal(centers[c], a @ a.T / d + 0.2 * np.eye(d), size=n // k))
    Y = np.vstack(parts)
    rng.shuffle(Y)
    init_means = Y[rng.choice(n, size=k, replace=False)]
    ycov = np.cov(Y.T, bias=True)
    em_fixture("em-synthetic-5d-full.json", Y, np.array([0.1, 0.2, 0.3, 0.4]), init_means,
               np.array([ycov * s for s in (1.0, 0.5, 2.0, 1.5)]), iterations=30)

    # The article's example: petal width alone, K=3. The maximum-likelihood answer, found with
    # many restarts and a tight tolerance, is what a 10-restart fit must reach.
    w = X[:, 3:4]
    best = GaussianMixture(n_components=3, n_init=50, tol=1e-12, max_iter=10000, random_state=0).fit(w)
    order = np.argsort(best.means_[:, 0])
    # With the default tol=1e-3, k-means init stops after a few iterations short of the
    # maximum: these are the figures (0.243 / 1.337 / 2.049) the issue quotes.
    early = GaussianMixture(n_components=3, n_init=10, random_state=0).fit(w)
    early_order = np.argsort(early.means_[:, 0])
    write("article-petal-width.json", {
        "sklearn_version": sklearn.__version__,
        "means": best.means_[order, 0].tolist(),
        "variances": best.covariances_[order, 0, 0].tolist(),
        "weights": best.weights_[order].tolist(),
        "lower_bound": float(best.lower_bound_),
        "default_tol": {
            "means": early.means_[early_order, 0].tolist(),
            "variances": early.covariances_[early_order, 0, 0].tolist(),
            "n_iter": int(early.n_iter_),
            "lower_bound": float(early.lower_bound_),
        },
    })


if __name__ == "__main__":
    main()
