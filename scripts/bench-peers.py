#!/usr/bin/env python3
"""Peers on the very files gmm-bench wrote: scikit-learn and Intel oneDAL (daal4py), side by side.

    python3 scripts/bench-peers.py bench-data [--iterations 5] [--repeats 3]
            [--daal-python .venv-peers/bin/python] [--markdown OUT.md]

bench-data holds W.npy (data), W-start.json (starting model, the `gmm` model format) and
results.json (our seconds per iteration, from `gmm-bench --write-data bench-data`). Every peer
starts from the same model with the same data, float64, full covariances, and runs EM with no
tolerance; seconds per iteration are (t(I iterations) - t(1 iteration)) / (I - 1), the best of
--repeats, so set-up costs (sklearn's initial responsibilities, daal4py's conversions) cancel.

daal4py 2024.7 needs scikit-learn 1.5 and `packaging`, so it runs in its own virtual
environment (scripts/bench makes it); this script calls itself there with --daal-only.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np


def load(folder, name):
    X = np.load(os.path.join(folder, f"{name}.npy"))
    with open(os.path.join(folder, f"{name}-start.json")) as f:
        start = json.load(f)
    if start.get("covariance_type", "full") != "full":
        sys.exit(f"{name}-start.json: covariance_type {start['covariance_type']!r}, this script compares full only")
    return X, np.array(start["weights"]), np.array(start["means"]), np.array(start["covariances"])


def per_iteration(run, iterations, repeats):
    """Best-of-`repeats` (t(I) - t(1)) / (I - 1), and what run(I) returned."""
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        run(1)
        t1 = time.perf_counter()
        result = run(iterations)
        t2 = time.perf_counter()
        best = min(best, ((t2 - t1) - (t1 - t0)) / (iterations - 1))
    return best, result


def sklearn_time(X, w, mu, cov, iterations, repeats):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    precisions = np.linalg.inv(cov)

    def run(n):
        gm = GaussianMixture(n_components=len(w), covariance_type="full", tol=0.0, reg_covar=1e-6,
                             max_iter=n, init_params="random_from_data", weights_init=w, means_init=mu,
                             precisions_init=precisions, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gm.fit(X)
        return gm.lower_bound_

    return per_iteration(run, iterations, repeats)


def daal_time(X, w, mu, cov, iterations, repeats):
    import daal4py as d4p

    weights = w.reshape(1, -1)
    covariances = [np.ascontiguousarray(c) for c in cov]

    def run(n):
        algorithm = d4p.em_gmm(nComponents=len(w), maxIterations=n, accuracyThreshold=0.0)
        result = algorithm.compute(X, weights, mu, covariances)
        return float(np.ravel(result.goalFunction)[0]) / X.shape[0]

    return per_iteration(run, iterations, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--daal-python", default=None, help="python of the daal4py venv (omit to skip oneDAL)")
    parser.add_argument("--daal-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--markdown", default=None, help="also write the table to this file")
    args = parser.parse_args()
    if args.iterations < 2:
        sys.exit("--iterations must be at least 2")

    with open(os.path.join(args.folder, "results.json")) as f:
        ours = json.load(f)
    # The workloads whose data gmm-bench wrote (the scaling sweep's are not written).
    names = [n for n in dict.fromkeys(r["workload"] for r in ours)
             if os.path.exists(os.path.join(args.folder, f"{n}.npy"))]

    if args.daal_only:
        out = {}
        for name in names:
            X, w, mu, cov = load(args.folder, name)
            out[name] = daal_time(X, w, mu, cov, args.iterations, args.repeats)
        json.dump(out, sys.stdout)
        return

    daal = {}
    if args.daal_python:
        command = [args.daal_python, os.path.abspath(__file__), args.folder, "--daal-only",
                   "--iterations", str(args.iterations), "--repeats", str(args.repeats)]
        daal = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)

    import sklearn
    lines = [
        f"| workload | N | D | K | ours, 1 thread | ours, {max(r['threads'] for r in ours)} threads | ours, float32 | "
        f"scikit-learn {sklearn.__version__} | oneDAL | sklearn / ours | oneDAL / ours | oneDAL / ours float32 | "
        "lower bound: ours vs sklearn |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        rows = [r for r in ours if r["workload"] == name]
        one = next((r for r in rows if r["threads"] == 1), None)
        best = max(rows, key=lambda r: r["threads"])
        X, w, mu, cov = load(args.folder, name)
        sk_seconds, sk_bound = sklearn_time(X, w, mu, cov, args.iterations, args.repeats)
        ms = lambda s: f"{1000 * s:.3g} ms"
        dal = daal.get(name)
        agreement = abs(best["lower_bound"] - sk_bound) / abs(sk_bound)
        single = best.get("float32_seconds_per_iteration")
        ratio = lambda a, b: f"{a / b:.2f}x" if a and b else "-"
        lines.append(
            f"| {name} | {best['rows']} | {best['features']} | {best['components']} | "
            f"{ms(one['seconds_per_iteration']) if one else '-'} | {ms(best['seconds_per_iteration'])} | "
            f"{ms(single) if single else '-'} | {ms(sk_seconds)} | {ms(dal[0]) if dal else '-'} | "
            f"{ratio(sk_seconds, best['seconds_per_iteration'])} | "
            f"{ratio(dal[0] if dal else None, best['seconds_per_iteration'])} | "
            f"{ratio(dal[0] if dal else None, single)} | {agreement:.1e} |")
        print("\n".join(lines) if len(lines) == 3 else lines[-1], flush=True)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
