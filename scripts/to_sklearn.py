#!/usr/bin/env python3
"""Loads a `gmm` model file into scikit-learn and checks that `score` agrees with `gmm score`.

    python3 scripts/to_sklearn.py MODEL.json DATA.csv [--gmm .build/release/gmm]

Prints scikit-learn's mean log-likelihood per sample; with --gmm it also runs `gmm score` on the
same data and exits non-zero unless the two agree to 1e-9 relative.
"""
import argparse
import json
import subprocess
import sys

import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky


def load(path):
    """A fitted sklearn GaussianMixture from a gmm model file."""
    with open(path) as f:
        m = json.load(f)
    gm = GaussianMixture(n_components=m["n_components"], covariance_type=m["covariance_type"])
    gm.weights_ = np.asarray(m["weights"], dtype=float)
    gm.means_ = np.asarray(m["means"], dtype=float)
    gm.covariances_ = np.asarray(m["covariances"], dtype=float)
    if "precisions_cholesky" in m:  # written by gmm since the key was added; older files lack it
        gm.precisions_cholesky_ = np.asarray(m["precisions_cholesky"], dtype=float)
    else:
        gm.precisions_cholesky_ = _compute_precision_cholesky(gm.covariances_, gm.covariance_type)
    if gm.covariance_type == "full":
        gm.precisions_ = np.array([p @ p.T for p in gm.precisions_cholesky_])
    elif gm.covariance_type == "tied":
        gm.precisions_ = gm.precisions_cholesky_ @ gm.precisions_cholesky_.T
    else:
        gm.precisions_ = gm.precisions_cholesky_ ** 2
    gm.converged_ = bool(m.get("converged", True))
    gm.n_iter_ = int(m.get("n_iter", 0))
    gm.lower_bound_ = m.get("lower_bound")
    gm.n_features_in_ = m["n_features"]
    return gm


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("data", help="CSV (optional header) or .npy")
    parser.add_argument("--gmm", help="path of the gmm executable to compare with")
    args = parser.parse_args()
    if args.data.endswith(".npy"):
        X = np.load(args.data).astype(float)
    else:
        with open(args.data) as f:
            first = f.readline()
        try:
            [float(v) for v in first.split(",")]
            skip = 0
        except ValueError:
            skip = 1
        X = np.loadtxt(args.data, delimiter=",", skiprows=skip, ndmin=2)
    if X.ndim == 1:
        X = X[:, None]
    ours = load(args.model).score(X)
    print(f"scikit-learn score: {ours!r}")
    if args.gmm:
        out = subprocess.run([args.gmm, "score", args.model, args.data], check=True, capture_output=True, text=True)
        theirs = float(out.stdout.strip().splitlines()[-1])
        rel = abs(theirs - ours) / abs(ours)
        print(f"gmm score:          {theirs!r}   relative difference {rel:.2e}")
        if rel > 1e-9:
            sys.exit("scores disagree")


if __name__ == "__main__":
    main()
