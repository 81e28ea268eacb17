"""`GaussianMixture`: scikit-learn's estimator, fitted by libgaussianmixtures through ctypes."""

import ctypes
import threading
import time
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.linalg import solve_triangular
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

try:
    from sklearn.utils.validation import validate_data
except ImportError:  # scikit-learn < 1.6
    def validate_data(estimator, X, reset=True, **kwargs):
        return estimator._validate_data(X, reset=reset, **kwargs)

from . import _capi
from ._capi import Options, check, lib, pointer

_DTYPES = {None: None, "float64": np.float64, "float32": np.float32, np.float64: np.float64, np.float32: np.float32}


def _covariance_shape(covariance_type, k, d):
    """scikit-learn's shape of covariances_, precisions_ and precisions_cholesky_."""
    return {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[covariance_type]


def _covariances_from_precisions_cholesky(factors, covariance_type):
    """The covariances of scikit-learn's precisions_cholesky_ (gm_model_create takes
    covariances only). scikit-learn scores with x U and the log of U's diagonal, which is the
    Gaussian of precision U Uᵀ when U is triangular (upper as it makes them, or lower) with a
    positive diagonal: covariance (U Uᵀ)⁻¹ = U⁻ᵀ U⁻¹, or 1 / U² for diag and spherical."""
    if not np.all(np.isfinite(factors)):
        raise ValueError("precisions_cholesky_ holds NaN or infinity")
    if covariance_type in ("diag", "spherical"):
        if not np.all(factors > 0):
            raise ValueError("precisions_cholesky_ must be positive")
        return 1 / factors**2
    d = factors.shape[-1]
    covariances = []
    for u in factors.reshape(-1, d, d):
        upper, lower = not np.any(np.tril(u, -1)), not np.any(np.triu(u, 1))
        if not (upper or lower) or not np.all(np.diag(u) > 0):
            raise ValueError("every matrix of precisions_cholesky_ must be triangular with a positive diagonal")
        inverse = solve_triangular(u, np.eye(d), lower=not upper)
        covariance = inverse.T @ inverse
        covariances.append((covariance + covariance.T) / 2)
    return np.array(covariances).reshape(factors.shape)


def _run_cancellable(function, cancel):
    """Runs `function` (a C call, which releases the GIL) so that Ctrl-C stops it: in the main
    thread it runs on a worker while the main thread waits, and a KeyboardInterrupt sets the
    cancellation flag, waits for the fit to stop, and is raised."""
    if threading.current_thread() is not threading.main_thread():
        return function()
    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=target, name="gaussianmixtures-fit", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        cancel.value = 1
        worker.join()
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture fitted by EM: `sklearn.mixture.GaussianMixture`'s parameters, defaults,
    attributes and methods, computed by the Swift engine (LAPACK/OpenBLAS, all cores).

    Extra parameters:
    n_threads : int or None (default all cores)
        Worker threads of the fit and of scoring; results do not depend on it.
    exact_dense : bool (default False)
        Evaluate every (row, component) pair in every E-step. By default (where it can pay:
        K·M >= 400 with K >= 4, or M >= 1000 with K >= 2, M = D(D+3)/2 + 1) a row that one component holds to double precision
        (responsibilities of the others below 2^-80) costs that component's work alone; the
        model is the same to rounding.
    dtype : None, "float32" or "float64" (default None)
        The precision of the fit. None fits float32 data in float32 (a C-contiguous float32
        array is used in place, without a copy) and anything else in float64.

    `fit` also takes `sample_weight` (one non-negative weight per row; a row of weight 2 counts
    twice). A fit releases the GIL, and Ctrl-C stops it with KeyboardInterrupt.
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions({"full", "tied", "diag", "spherical"})],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions({"kmeans", "random", "random_from_data", "k-means++"})],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "dtype": [StrOptions({"float32", "float64"}), type, None],
        "exact_dense": ["boolean"],
    }

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6, max_iter=100, n_init=1,
                 init_params="kmeans", weights_init=None, means_init=None, precisions_init=None, random_state=None,
                 warm_start=False, verbose=0, verbose_interval=10, n_threads=None, dtype=None, exact_dense=False):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.n_threads = n_threads
        self.dtype = dtype
        self.exact_dense = exact_dense

    # ----------------------------------------------------------------- fitting

    def _fit_array(self, X):
        """X as the fit reads it: float32 or float64 (per `dtype`), C-contiguous, copied only when
        it is not already so."""
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be None, 'float32' or 'float64', got {self.dtype!r}")
        wanted = _DTYPES[self.dtype]
        return validate_data(self, X, dtype=[np.float64, np.float32] if wanted is None else wanted, order="C",
                             ensure_min_samples=2, reset=True)

    def _start_arrays(self, n_features):
        """weights_init, means_init, precisions_init as contiguous float64 arrays of scikit-learn's shapes."""
        k, d = self.n_components, n_features
        out = []
        for name, shape in (("weights_init", (k,)), ("means_init", (k, d)),
                            ("precisions_init", _covariance_shape(self.covariance_type, k, d))):
            value = getattr(self, name)
            if value is None:
                out.append(None)
                continue
            array = np.ascontiguousarray(np.asarray(value, dtype=np.float64))
            if array.shape != shape:
                raise ValueError(f"The parameter '{name}' should have the shape of {shape}, but got {array.shape}")
            out.append(array)
        return out

    def fit(self, X, y=None, sample_weight=None):
        """Estimates the model's parameters with the EM algorithm (n_init initialisations, the
        best lower bound wins). Returns self."""
        self._fit(X, sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fits and returns the label of every row of X."""
        self._fit(X, sample_weight)
        return self.predict(X)

    def _fit(self, X, sample_weight):
        self._validate_params()
        X = self._fit_array(X)
        n, d = X.shape
        if n < self.n_components:
            raise ValueError(f"Expected n_samples >= n_components but got n_components = {self.n_components}, "
                             f"n_samples = {n}")
        weights = None
        if sample_weight is not None:
            weights = np.ascontiguousarray(_check_sample_weight(sample_weight, X, dtype=np.float64))
        self._run_fit(X, weights, _capi.c_int32(0))
        if not self.converged_ and self.max_iter > 0:
            warnings.warn("Best performing initialization did not converge. Try different init parameters, or "
                          "increase max_iter, tol, or check for degenerate data.", ConvergenceWarning)

    def _run_fit(self, X, sample_weight, cancel):
        """Fits validated data; `cancel` (a c_int32) stops the fit when another thread sets it."""
        options = Options()
        lib.gm_options_init(ctypes.byref(options))
        options.n_components = self.n_components
        options.covariance_type = _capi.COVARIANCE_TYPES[self.covariance_type]
        options.tol = self.tol
        options.reg_covar = self.reg_covar
        options.max_iter = self.max_iter
        options.n_init = self.n_init
        options.init_params = _capi.INIT_PARAMS[self.init_params]
        options.random_state = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        options.n_threads = self.n_threads or 0
        options.exact_dense = 1 if self.exact_dense else 0
        start = None
        # scikit-learn's warm start (from the current weights_, means_, precisions_cholesky_),
        # when they have this fit's shapes and were fitted with this covariance_type (tied's
        # (d, d) factor has diag's (k, d) shape when k == d: after set_params(covariance_type=...)
        # the fit starts afresh).
        if self.warm_start and hasattr(self, "converged_") and getattr(
                self, "_fitted_covariance_type", self.covariance_type) == self.covariance_type:
            k, d = self.n_components, X.shape[1]
            if np.shape(getattr(self, "means_", None)) == (k, d) and np.shape(
                    getattr(self, "precisions_cholesky_", None)) == _covariance_shape(self.covariance_type, k, d):
                start, _ = self._handle()
                options.n_init = 1
        starts = self._start_arrays(X.shape[1]) if start is None else [None, None, None]
        options.weights_init, options.means_init, options.precisions_init = (pointer(a) for a in starts)
        options.cancel = ctypes.pointer(cancel)
        if self.verbose > 0:
            options.progress = _capi.PROGRESS(self._progress_printer())
        out = ctypes.c_void_p()
        start_handle = start.handle if start is not None else None
        fit = lib.gm_fit_float if X.dtype == np.float32 else lib.gm_fit
        data = pointer(X, ctypes.c_float if X.dtype == np.float32 else ctypes.c_double)

        def call():
            # check() reads the message of this thread's failure, so it runs on the fitting thread.
            check(fit(data, X.shape[0], X.shape[1], pointer(sample_weight), ctypes.byref(options), start_handle,
                      ctypes.byref(out)))

        _run_cancellable(call, cancel)
        self._set_model(_capi.Model(out.value))

    def _progress_printer(self):
        """scikit-learn's verbose output, from the progress callback."""
        clock = {"init": time.time(), "iter": time.time()}

        def report(user_data, restart, iteration, lower_bound, change):
            if iteration == 1:
                print(f"Initialization {restart}")
                clock["init"] = clock["iter"] = time.time()
            if iteration % self.verbose_interval == 0:
                now = time.time()
                if self.verbose == 1:
                    print(f"  Iteration {iteration}")
                else:
                    print(f"  Iteration {iteration}\t time lapse {now - clock['iter']:.5f}s\t ll change {change:.5f}")
                clock["iter"] = now
            return 0

        return report

    def _set_model(self, model):
        """The fitted attributes, read from a model handle."""
        info = model.info()
        k, d, size = info.n_components, info.n_features, info.covariance_size
        covariance_type = {v: name for name, v in _capi.COVARIANCE_TYPES.items()}[info.covariance_type]
        shape = _covariance_shape(covariance_type, k, d)

        def read(function, count, shape):
            out = np.empty(count, dtype=np.float64)
            check(function(model.handle, pointer(out), count))
            return out.reshape(shape)

        self.weights_ = read(lib.gm_model_weights, k, (k,))
        self.means_ = read(lib.gm_model_means, k * d, (k, d))
        self.covariances_ = read(lib.gm_model_covariances, size, shape)
        self.precisions_ = read(lib.gm_model_precisions, size, shape)
        self.precisions_cholesky_ = read(lib.gm_model_precisions_cholesky, size, shape)
        self.lower_bounds_ = list(read(lib.gm_model_lower_bounds, info.lower_bounds_count, (info.lower_bounds_count,)))
        self.converged_ = bool(info.converged)
        self.n_iter_ = int(info.n_iter)
        self.lower_bound_ = float(info.lower_bound)
        self._fitted_covariance_type = covariance_type
        # Scoring and sampling use the fitted handle until an attribute they read changes.
        copies = [self.weights_.copy(), self.means_.copy()]
        self._models = {source: (covariance_type, copies + [getattr(self, source).copy()], model, 0.0)
                        for source in ("precisions_cholesky_", "covariances_")}

    def _handle(self, source="precisions_cholesky_"):
        """The model handle of the current fitted attributes, read as scikit-learn reads them:
        weights_, means_ and `source` (precisions_cholesky_ for scoring, covariances_ for
        sampling), in covariance_type's shapes. A handle is kept with copies of what it was made
        from, and made again only when one of them or covariance_type differs (after an edit, at
        the first call after unpickling), so an unchanged model costs a comparison per call.
        Returns the handle and an offset of the log-likelihoods, log(sum of weights_): 0 unless
        weights_ were set not to sum to 1, when the scoring handle holds them divided by their
        sum and scikit-learn's log-likelihoods are the handle's plus the offset."""
        check_is_fitted(self)
        names = ("weights_", "means_", source)
        values = [np.asarray(getattr(self, name), dtype=np.float64) for name in names]
        models = getattr(self, "_models", None)
        if models is None:
            models = self._models = {}
        kept = models.get(source)
        if kept is None or kept[0] != self.covariance_type or not all(map(np.array_equal, kept[1], values)):
            kept = (self.covariance_type, [value.copy() for value in values], *self._make_model(names, values))
            models[source] = kept
        model = kept[2]
        check(lib.gm_model_set_threads(model.handle, self.n_threads or 0))
        return model, kept[3]

    def _make_model(self, names, values):
        """A handle of weights_, means_ and precisions_cholesky_ or covariances_ (`names`,
        `values` as float64 arrays), and its offset (see _handle). Shapes are checked here,
        values by gm_model_create (weights, positive-definite covariances)."""
        weights, means, covariances = values
        if means.ndim != 2:
            raise ValueError(f"means_ should have the shape of (n_components, n_features), but got {means.shape}")
        k, d = means.shape
        for name, value, shape in zip(names, values, ((k,), (k, d), _covariance_shape(self.covariance_type, k, d))):
            if value.shape != shape:
                raise ValueError(f"The attribute '{name}' should have the shape of {shape}, but got {value.shape} "
                                 f"(covariance_type={self.covariance_type!r}, {k} components, {d} features)")
        if names[2] == "covariances_":
            return self._create_model(weights, means, covariances), 0.0
        total = weights.sum()
        offset = 0.0
        if np.all(weights >= 0) and total > 0 and abs(total - 1) > 1e-6:
            weights, offset = weights / total, float(np.log(total))
        # covariances_, when the handle they make has exactly these factors (after a fit or an
        # unpickling), give the fit's model to the bit, which the factors' round trip would not.
        stated = getattr(self, "covariances_", None)
        if np.shape(stated) == covariances.shape:
            try:
                model = self._create_model(weights, means, np.asarray(stated, dtype=np.float64))
                factors = np.empty(covariances.size, dtype=np.float64)
                check(lib.gm_model_precisions_cholesky(model.handle, pointer(factors), factors.size))
                if np.array_equal(factors.reshape(covariances.shape), covariances):
                    return model, offset
            except ValueError:
                pass
        covariances = _covariances_from_precisions_cholesky(covariances, self.covariance_type)
        return self._create_model(weights, means, covariances), offset

    def _create_model(self, weights, means, covariances):
        """gm_model_create of arrays of checked shapes."""
        k, d = means.shape
        weights, means, covariances = (np.ascontiguousarray(a, dtype=np.float64) for a in (weights, means, covariances))
        out = ctypes.c_void_p()
        check(lib.gm_model_create(k, d, _capi.COVARIANCE_TYPES[self.covariance_type], pointer(weights),
                                  pointer(means), pointer(covariances), ctypes.byref(out)))
        return _capi.Model(out.value)

    def __getstate__(self):
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__.copy()
        state = dict(state)
        state.pop("_models", None)
        return state

    def __setstate__(self, state):
        if hasattr(super(), "__setstate__"):
            super().__setstate__(state)
        else:
            self.__dict__.update(state)
        self._models = {}

    # ----------------------------------------------------------------- using a fitted model

    def _score_array(self, X):
        """X as scoring reads it: float32 rows stay float32 (scored without a copy) unless
        `dtype` is "float64"; anything else becomes C-contiguous float64."""
        check_is_fitted(self)
        wanted = _DTYPES.get(self.dtype, self.dtype)
        dtypes = [np.float64, np.float32] if wanted in (None, np.float32) else np.float64
        return validate_data(self, X, reset=False, dtype=dtypes, order="C")

    @staticmethod
    def _call(double_function, float_function, model, X, out, out_type=ctypes.c_double):
        """Calls the float32 or float64 C function for X's dtype."""
        if X.dtype == np.float32:
            return float_function(model.handle, pointer(X, ctypes.c_float), X.shape[0], X.shape[1], pointer(out, out_type))
        return double_function(model.handle, pointer(X), X.shape[0], X.shape[1], pointer(out, out_type))

    def score_samples(self, X):
        """Log-likelihood of every row, log p(x)."""
        X = self._score_array(X)
        model, offset = self._handle()
        out = np.empty(X.shape[0], dtype=np.float64)
        check(self._call(lib.gm_score_samples, lib.gm_score_samples_float, model, X, out))
        if offset:
            out += offset
        return out

    def score(self, X, y=None):
        """Mean log-likelihood per row."""
        return float(self.score_samples(X).mean())

    def predict(self, X):
        """The most probable component of every row."""
        X = self._score_array(X)
        model, _ = self._handle()
        out = np.empty(X.shape[0], dtype=np.int64)
        check(self._call(lib.gm_predict, lib.gm_predict_float, model, X, out, ctypes.c_int64))
        return out

    def predict_proba(self, X):
        """Responsibilities: the posterior probability of every component for every row."""
        X = self._score_array(X)
        model, _ = self._handle()
        out = np.empty((X.shape[0], model.info().n_components), dtype=np.float64)
        check(self._call(lib.gm_predict_proba, lib.gm_predict_proba_float, model, X, out))
        return out

    def sample(self, n_samples=1):
        """Draws n_samples rows; returns (X, y) grouped by component as scikit-learn does."""
        check_is_fitted(self)
        if n_samples < 1:
            raise ValueError(f"Invalid value for 'n_samples': {n_samples} . The sampling requires at least one sample.")
        model, _ = self._handle("covariances_")
        d = model.info().n_features
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        X = np.empty((n_samples, d), dtype=np.float64)
        y = np.empty(n_samples, dtype=np.int64)
        check(lib.gm_sample(model.handle, n_samples, seed, pointer(X), pointer(y, ctypes.c_int64)))
        order = np.argsort(y, kind="stable")
        return X[order], y[order]

    def _n_parameters(self):
        """Free parameters, counted as scikit-learn counts them: from n_components,
        covariance_type and the features of means_."""
        k, d = self.n_components, np.shape(self.means_)[1]
        covariance = {"full": k * d * (d + 1) / 2, "diag": k * d, "tied": d * (d + 1) / 2, "spherical": k}
        return int(covariance[self.covariance_type] + k * d + k - 1)

    def bic(self, X):
        """Bayesian information criterion (lower is better)."""
        X = self._score_array(X)
        return -2 * self.score(X) * X.shape[0] + self._n_parameters() * np.log(X.shape[0])

    def aic(self, X):
        """Akaike information criterion (lower is better)."""
        X = self._score_array(X)
        return -2 * self.score(X) * X.shape[0] + 2 * self._n_parameters()
