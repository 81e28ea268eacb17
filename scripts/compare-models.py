#!/usr/bin/env python3
"""Compares two gmm model files: the same covariance type, shape, n_iter and converged flag, and
every numeric array (weights, means, covariances, precisions_cholesky, lower_bound and its history)
within TOL of the array's largest magnitude (default 1e-13). Exit 1 with what differs, and by how much."""
import json
import sys


def flatten(value):
    if isinstance(value, list):
        out = []
        for v in value:
            out += flatten(v)
        return out
    return [value]


def main():
    if len(sys.argv) < 3:
        print("usage: compare-models.py A.json B.json [TOL]", file=sys.stderr)
        return 64
    a, b = (json.load(open(p)) for p in sys.argv[1:3])
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-13
    problems = []
    for key in ("covariance_type", "n_components", "n_features", "n_iter", "converged"):
        if a.get(key) != b.get(key):
            problems.append(f"{key}: {a.get(key)} != {b.get(key)}")
    worst = 0.0
    for key in ("weights", "means", "covariances", "precisions_cholesky", "lower_bound", "lower_bound_history"):
        x, y = flatten(a.get(key)), flatten(b.get(key))
        if len(x) != len(y):
            problems.append(f"{key}: {len(x)} values != {len(y)}")
            continue
        scale = max([abs(v) for v in x + y if v is not None] + [1e-300])
        gap = max([abs(p - q) / scale for p, q in zip(x, y) if p is not None and q is not None] + [0.0])
        worst = max(worst, gap)
        if gap > tol:
            problems.append(f"{key}: differs by {gap:.3g} of its largest value (tolerance {tol:g})")
    if problems:
        print(f"{sys.argv[1]} vs {sys.argv[2]}: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"{worst:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
