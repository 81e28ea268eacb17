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

With --whole, the folder holds `gmm-bench --whole --write-data` output instead (W.npy and our
whole.json) and each peer runs its default fit once, initialisation included: scikit-learn's
`GaussianMixture(n_components=K, random_state=0).fit(X)` (k-means initialisation, tol 1e-3,
max_iter 100; on more than --whole-full-rows rows max_iter is our iteration count, to bound its
time), whose initialisation is timed as the `KMeans(n_clusters=K, n_init=1)` fit it runs; and
oneDAL's `em_gmm_init` (its defaults: short random EM trials) then `em_gmm` (its defaults:
at most 10 iterations, threshold 1e-4). The final mean log-likelihood is each fit's own
(scikit-learn's `lower_bound_`, oneDAL's goal function / N).
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
    """(best t(I) - best t(1)) / (iterations done in run(I) - 1) over `repeats` runs of each, and
    what run(I) returned. `run(n)` returns (its result, the EM iterations it did): oneDAL stops
    where its goal function no longer changes, even with a threshold of 0 (on W1 and W3 after 3
    of 6 iterations), so dividing by I - 1 would halve its time. The best of each, not the best
    difference: one slow run(1) (a first touch, a busy machine) would otherwise give a difference
    below zero. None when run(I) did no more iterations than run(1)."""
    one, many, result, done = float("inf"), float("inf"), None, iterations
    for _ in range(repeats):
        t0 = time.perf_counter()
        run(1)
        t1 = time.perf_counter()
        result, done = run(iterations)
        t2 = time.perf_counter()
        one, many = min(one, t1 - t0), min(many, t2 - t1)
    return ((many - one) / (done - 1) if done > 1 else None), result, done


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
        return gm.lower_bound_, gm.n_iter_

    seconds, bound, _ = per_iteration(run, iterations, repeats)
    return seconds, bound


def daal_time(X, w, mu, cov, iterations, repeats):
    import daal4py as d4p

    weights = w.reshape(1, -1)
    covariances = [np.ascontiguousarray(c) for c in cov]

    def run(n):
        algorithm = d4p.em_gmm(nComponents=len(w), maxIterations=n, accuracyThreshold=0.0)
        result = algorithm.compute(X, weights, mu, covariances)
        return float(np.ravel(result.goalFunction)[0]) / X.shape[0], int(np.ravel(result.nIterations)[0])

    return per_iteration(run, iterations, repeats)


def whole_sklearn(X, k, max_iter):
    """Seconds of the default fit, of its k-means alone, iterations, lower bound."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        gm = GaussianMixture(n_components=k, max_iter=max_iter, random_state=0).fit(X)
        t1 = time.perf_counter()
        KMeans(n_clusters=k, n_init=1, random_state=0).fit(X)
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1, int(gm.n_iter_), float(gm.lower_bound_)


def whole_daal(X, k):
    """Seconds of em_gmm_init + em_gmm at their defaults, of the init alone, iterations, goal / N."""
    import daal4py as d4p

    t0 = time.perf_counter()
    init = d4p.em_gmm_init(nComponents=k).compute(X)
    t1 = time.perf_counter()
    result = d4p.em_gmm(nComponents=k).compute(X, init.weights, init.means, init.covariances)
    t2 = time.perf_counter()
    return t2 - t0, t1 - t0, int(np.ravel(result.nIterations)[0]), float(np.ravel(result.goalFunction)[0]) / X.shape[0]


def show(lines):
    """Prints the table so far: its header and first row at once, then each new row."""
    print("\n".join(lines) if len(lines) == 3 else lines[-1], flush=True)


def save(lines, markdown):
    """Writes the whole table to `markdown`, when one is given."""
    if markdown:
        with open(markdown, "w") as f:
            f.write("\n".join(lines) + "\n")


def main_whole(args):
    with open(os.path.join(args.folder, "whole.json")) as f:
        ours = json.load(f)
    if args.daal_only:
        out = {r["workload"]: whole_daal(np.load(os.path.join(args.folder, f"{r['workload']}.npy")), r["components"])
               for r in ours}
        json.dump(out, sys.stdout)
        return
    daal = {}
    if args.daal_python:
        command = [args.daal_python, os.path.abspath(__file__), args.folder, "--daal-only", "--whole"]
        daal = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    import sklearn
    lines = [
        f"| workload | N | D | K | fit: ours | scikit-learn {sklearn.__version__} | oneDAL | "
        "initialisation (share): ours | scikit-learn | oneDAL | iterations: ours | scikit-learn | oneDAL | "
        "final mean log-likelihood: ours | scikit-learn | oneDAL |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ours:
        X = np.load(os.path.join(args.folder, f"{r['workload']}.npy"))
        limited = r["rows"] > args.whole_full_rows
        sk = whole_sklearn(X, r["components"], r["iterations"] if limited else 100)
        dal = daal.get(r["workload"])
        share = lambda total, init: f"{init:.2f} s ({100 * init / total:.0f} %)"
        lines.append(
            f"| {r['workload']} | {r['rows']} | {r['features']} | {r['components']} | {r['seconds']:.2f} s | "
            f"{sk[0]:.2f} s{' (max_iter as ours)' if limited else ''} | {f'{dal[0]:.2f} s' if dal else '-'} | "
            f"{share(r['seconds'], r['init_seconds'])} | {share(sk[0], sk[1])} | {share(dal[0], dal[1]) if dal else '-'} | "
            f"{r['iterations']} | {sk[2]} | {dal[2] if dal else '-'} | "
            f"{r['lower_bound']:.6f} | {sk[3]:.6f} | {f'{dal[3]:.6f}' if dal else '-'} |")
        show(lines)
    save(lines, args.markdown)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--daal-python", default=None, help="python of the daal4py venv (omit to skip oneDAL)")
    parser.add_argument("--daal-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--markdown", default=None, help="also write the table to this file")
    parser.add_argument("--whole", action="store_true", help="whole default fits (gmm-bench --whole's folder)")
    parser.add_argument("--whole-full-rows", type=int, default=2_000_000,
                        help="with --whole, larger data runs scikit-learn with max_iter = our iterations")
    args = parser.parse_args()
    if args.whole:
        return main_whole(args)
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
        f"| workload | N | D | K | ours, 1 thread | ours, {max(r['threads'] for r in ours)} threads | ours, default (pruned) | "
        f"ours, float32 | scikit-learn {sklearn.__version__} | oneDAL | sklearn / ours | oneDAL / ours | "
        "oneDAL / ours default | oneDAL / ours float32 | lower bound: ours vs sklearn |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
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
        pruned = best.get("pruned_seconds_per_iteration")
        ratio = lambda a, b: f"{a / b:.2f}x" if a and b else "-"
        daal_cell = lambda d, i: "-" if not d or d[0] is None else (
            ms(d[0]) + (f" ({d[2]} of {i} it.)" if d[2] < i else ""))
        lines.append(
            f"| {name} | {best['rows']} | {best['features']} | {best['components']} | "
            f"{ms(one['seconds_per_iteration']) if one else '-'} | {ms(best['seconds_per_iteration'])} | "
            f"{ms(pruned) if pruned else '-'} | "
            f"{ms(single) if single else '-'} | {ms(sk_seconds)} | {daal_cell(dal, args.iterations)} | "
            f"{ratio(sk_seconds, best['seconds_per_iteration'])} | "
            f"{ratio(dal[0] if dal else None, best['seconds_per_iteration'])} | "
            f"{ratio(dal[0] if dal else None, pruned)} | "
            f"{ratio(dal[0] if dal else None, single)} | {agreement:.1e} |")
        show(lines)
    save(lines, args.markdown)


if __name__ == "__main__":
    main()
