"""`GaussianMixture`: scikit-learn's estimator, fitted by libgaussianmixtures through ctypes."""

import ctypes
import threading
import time
import warnings
from numbers import Integral, Real

import numpy as np
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
        shapes = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}
        out = []
        for name, shape in (("weights_init", (k,)), ("means_init", (k, d)),
                            ("precisions_init", shapes[self.covariance_type])):
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
        if self.warm_start and getattr(self, "_model", None) is not None and hasattr(self, "means_"):
            model = self._handle()
            info = model.info()
            if info.n_components == self.n_components and info.n_features == X.shape[1] \
                    and info.covariance_type == options.covariance_type:
                start = model
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
        shapes = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}
        covariance_type = {v: name for name, v in _capi.COVARIANCE_TYPES.items()}[info.covariance_type]

        def read(function, count, shape):
            out = np.empty(count, dtype=np.float64)
            check(function(model.handle, pointer(out), count))
            return out.reshape(shape)

        self.weights_ = read(lib.gm_model_weights, k, (k,))
        self.means_ = read(lib.gm_model_means, k * d, (k, d))
        self.covariances_ = read(lib.gm_model_covariances, size, shapes[covariance_type])
        self.precisions_ = read(lib.gm_model_precisions, size, shapes[covariance_type])
        self.precisions_cholesky_ = read(lib.gm_model_precisions_cholesky, size, shapes[covariance_type])
        self.lower_bounds_ = list(read(lib.gm_model_lower_bounds, info.lower_bounds_count, (info.lower_bounds_count,)))
        self.converged_ = bool(info.converged)
        self.n_iter_ = int(info.n_iter)
        self.lower_bound_ = float(info.lower_bound)
        self._model = model
        self._model_covariance_type = covariance_type

    def _handle(self):
        """The model handle, made again from the fitted attributes after unpickling."""
        check_is_fitted(self)
        model = getattr(self, "_model", None)
        if model is None:
            k, d = self.means_.shape
            weights = np.ascontiguousarray(self.weights_, dtype=np.float64)
            means = np.ascontiguousarray(self.means_, dtype=np.float64)
            covariances = np.ascontiguousarray(self.covariances_, dtype=np.float64)
            out = ctypes.c_void_p()
            check(lib.gm_model_create(k, d, _capi.COVARIANCE_TYPES[self._model_covariance_type], pointer(weights),
                                      pointer(means), pointer(covariances), ctypes.byref(out)))
            model = _capi.Model(out.value)
            self._model = model
        check(lib.gm_model_set_threads(model.handle, self.n_threads or 0))
        return model

    def __getstate__(self):
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__.copy()
        state = dict(state)
        state.pop("_model", None)
        return state

    def __setstate__(self, state):
        if hasattr(super(), "__setstate__"):
            super().__setstate__(state)
        else:
            self.__dict__.update(state)
        self._model = None

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
        model = self._handle()
        out = np.empty(X.shape[0], dtype=np.float64)
        check(self._call(lib.gm_score_samples, lib.gm_score_samples_float, model, X, out))
        return out

    def score(self, X, y=None):
        """Mean log-likelihood per row."""
        return float(self.score_samples(X).mean())

    def predict(self, X):
        """The most probable component of every row."""
        X = self._score_array(X)
        model = self._handle()
        out = np.empty(X.shape[0], dtype=np.int64)
        check(self._call(lib.gm_predict, lib.gm_predict_float, model, X, out, ctypes.c_int64))
        return out

    def predict_proba(self, X):
        """Responsibilities: the posterior probability of every component for every row."""
        X = self._score_array(X)
        model = self._handle()
        out = np.empty((X.shape[0], self.weights_.shape[0]), dtype=np.float64)
        check(self._call(lib.gm_predict_proba, lib.gm_predict_proba_float, model, X, out))
        return out

    def sample(self, n_samples=1):
        """Draws n_samples rows; returns (X, y) grouped by component as scikit-learn does."""
        check_is_fitted(self)
        if n_samples < 1:
            raise ValueError(f"Invalid value for 'n_samples': {n_samples} . The sampling requires at least one sample.")
        model = self._handle()
        d = self.means_.shape[1]
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        X = np.empty((n_samples, d), dtype=np.float64)
        y = np.empty(n_samples, dtype=np.int64)
        check(lib.gm_sample(model.handle, n_samples, seed, pointer(X), pointer(y, ctypes.c_int64)))
        order = np.argsort(y, kind="stable")
        return X[order], y[order]

    def _n_parameters(self):
        k, d = self.means_.shape
        covariance = {"full": k * d * (d + 1) / 2, "diag": k * d, "tied": d * (d + 1) / 2, "spherical": k}
        return int(covariance[self._model_covariance_type] + k * d + k - 1)

    def bic(self, X):
        """Bayesian information criterion (lower is better)."""
        X = self._score_array(X)
        return -2 * self.score(X) * X.shape[0] + self._n_parameters() * np.log(X.shape[0])

    def aic(self, X):
        """Akaike information criterion (lower is better)."""
        X = self._score_array(X)
        return -2 * self.score(X) * X.shape[0] + 2 * self._n_parameters()
