#!/usr/bin/env python3
"""Writes Tests/GaussianMixturesTests/Fixtures/kmeans-labels-iris.json: scikit-learn's k-means
assignment of the bundled Iris data (Examples/iris.csv) to given centres.

Run by hand (CI does not need Python):  pip install scikit-learn && python3 scripts/make-kmeans-fixtures.py

Each case holds K centres and the label scikit-learn's `KMeans.predict` gives every row with
exactly those centres (`cluster_centers_` set to them): some centres are rows of the data, some
are scikit-learn's own fitted centres (K = 3, 5, 8), whose boundaries pass between close rows.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.cluster import KMeans

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "GaussianMixturesTests", "Fixtures", "kmeans-labels-iris.json")


def labels_from(X, centers):
    """scikit-learn's assignment of X to `centers` (no centre moves)."""
    km = KMeans(n_clusters=len(centers), init=centers, n_init=1, max_iter=1).fit(X)
    km.cluster_centers_ = np.ascontiguousarray(centers, dtype=float)
    return km.predict(X)


def main():
    X = np.loadtxt(os.path.join(ROOT, "Examples", "iris.csv"), delimiter=",", skiprows=1)
    cases = []
    for rows in ([0, 50, 100], [3, 17, 60, 77, 120, 140]):
        cases.append({"name": f"rows {rows}", "centers": X[rows].tolist()})
    for k, seed in ((3, 0), (5, 1), (8, 2)):
        fitted = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(X).cluster_centers_
        cases.append({"name": f"fitted K={k}", "centers": fitted.tolist()})
    for case in cases:
        case["labels"] = labels_from(X, np.array(case["centers"])).tolist()
    payload = {"sklearn_version": sklearn.__version__, "X": X.tolist(), "cases": cases}
    with open(OUT, "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.relpath(OUT, ROOT))


if __name__ == "__main__":
    main()
