"""ctypes declarations of gaussian_mixtures.h, the C interface of the bundled libgaussianmixtures.so.

ctypes releases the GIL around every call into a CDLL, so a fit runs while other Python
threads do."""

import ctypes
import os
from ctypes import POINTER, c_char_p, c_double, c_float, c_int, c_int32, c_int64, c_size_t, c_uint64, c_void_p

OK, INVALID_ARGUMENT, INVALID_DATA, FIT_FAILED, CANCELLED, IO_ERROR, FORMAT_ERROR, INTERNAL_ERROR = range(8)
COVARIANCE_TYPES = {"full": 0, "tied": 1, "diag": 2, "spherical": 3}
INIT_PARAMS = {"kmeans": 0, "k-means++": 1, "random": 2, "random_from_data": 3}

PROGRESS = ctypes.CFUNCTYPE(c_int, c_void_p, c_int64, c_int64, c_double, c_double)


class Options(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("n_components", c_int64),
        ("covariance_type", c_int32),
        ("tol", c_double),
        ("reg_covar", c_double),
        ("max_iter", c_int64),
        ("n_init", c_int64),
        ("init_params", c_int32),
        ("random_state", c_uint64),
        ("n_threads", c_int64),
        ("reseed_empty_components", c_int32),
        ("weights_init", POINTER(c_double)),
        ("means_init", POINTER(c_double)),
        ("precisions_init", POINTER(c_double)),
        ("progress", PROGRESS),
        ("progress_user_data", c_void_p),
        ("cancel", POINTER(c_int32)),
        ("exact_dense", c_int32),
    ]


class ModelInfo(ctypes.Structure):
    _fields_ = [
        ("n_components", c_int64),
        ("n_features", c_int64),
        ("covariance_type", c_int32),
        ("covariance_size", c_int64),
        ("converged", c_int32),
        ("n_iter", c_int64),
        ("lower_bound", c_double),
        ("lower_bounds_count", c_int64),
        ("n_parameters", c_int64),
    ]


_here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_lib")
lib = ctypes.CDLL(os.environ.get("GAUSSIANMIXTURES_LIBRARY", os.path.join(_here, "libgaussianmixtures.so")))

_D = POINTER(c_double)
_model = c_void_p
_signatures = {
    "gm_version": (c_char_p, []),
    "gm_last_error": (c_char_p, []),
    "gm_options_init": (None, [POINTER(Options)]),
    "gm_fit": (c_int32, [_D, c_size_t, c_size_t, _D, POINTER(Options), _model, POINTER(_model)]),
    "gm_fit_float": (c_int32, [POINTER(c_float), c_size_t, c_size_t, _D, POINTER(Options), _model, POINTER(_model)]),
    "gm_model_create": (c_int32, [c_size_t, c_size_t, c_int32, _D, _D, _D, POINTER(_model)]),
    "gm_model_free": (None, [_model]),
    "gm_model_set_threads": (c_int32, [_model, c_int64]),
    "gm_model_get_info": (c_int32, [_model, POINTER(ModelInfo)]),
    "gm_model_weights": (c_int32, [_model, _D, c_size_t]),
    "gm_model_means": (c_int32, [_model, _D, c_size_t]),
    "gm_model_covariances": (c_int32, [_model, _D, c_size_t]),
    "gm_model_precisions": (c_int32, [_model, _D, c_size_t]),
    "gm_model_precisions_cholesky": (c_int32, [_model, _D, c_size_t]),
    "gm_model_lower_bounds": (c_int32, [_model, _D, c_size_t]),
    "gm_score_samples": (c_int32, [_model, _D, c_size_t, c_size_t, _D]),
    "gm_predict": (c_int32, [_model, _D, c_size_t, c_size_t, POINTER(c_int64)]),
    "gm_predict_proba": (c_int32, [_model, _D, c_size_t, c_size_t, _D]),
    "gm_score_samples_float": (c_int32, [_model, POINTER(c_float), c_size_t, c_size_t, _D]),
    "gm_predict_float": (c_int32, [_model, POINTER(c_float), c_size_t, c_size_t, POINTER(c_int64)]),
    "gm_predict_proba_float": (c_int32, [_model, POINTER(c_float), c_size_t, c_size_t, _D]),
    "gm_sample": (c_int32, [_model, c_size_t, c_uint64, _D, POINTER(c_int64)]),
    "gm_model_to_json": (c_int32, [_model, POINTER(c_void_p), POINTER(c_size_t)]),
    "gm_string_free": (None, [c_void_p]),
    "gm_model_from_json": (c_int32, [c_char_p, c_size_t, POINTER(_model)]),
}
for _name, (_restype, _argtypes) in _signatures.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes


def last_error():
    message = lib.gm_last_error()
    return message.decode("utf-8", "replace") if message else ""


def check(status):
    """Raises the Python exception of a status code, with the library's message."""
    if status == OK:
        return
    message = last_error()
    if status == CANCELLED:
        raise KeyboardInterrupt(message)
    if status == IO_ERROR:
        raise OSError(message)
    if status == INTERNAL_ERROR:
        raise RuntimeError(message)
    raise ValueError(message)


def pointer(array, ctype=c_double):
    """A ctypes pointer to a contiguous array's first element (None for None)."""
    if array is None:
        return None
    return array.ctypes.data_as(POINTER(ctype))


class Model:
    """Owns one gm_model handle and frees it."""

    def __init__(self, handle):
        self.handle = handle

    def __del__(self):
        if getattr(self, "handle", None):
            lib.gm_model_free(self.handle)
            self.handle = None

    def info(self):
        info = ModelInfo()
        check(lib.gm_model_get_info(self.handle, ctypes.byref(info)))
        return info
