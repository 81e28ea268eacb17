"""Tests of gaussianmixtures.GaussianMixture against scikit-learn (the reference), closed forms
and invariants. Run by scripts/test-python in its own venv."""

import ctypes
import os
import pickle
import signal
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.exceptions import NotFittedError
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import gaussianmixtures
from gaussianmixtures import ConvergenceWarning, GaussianMixture
from gaussianmixtures._capi import CANCELLED

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
DATASETS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer}

# check_estimator's checks that may be skipped, and why.
ALLOWED_SKIPS = {
    # Needs the environment variable SCIPY_ARRAY_API and an array-API library; the estimator
    # takes NumPy arrays (and anything np.asarray converts) only.
    "check_array_api_input",
}


def test_check_estimator():
    results = check_estimator(GaussianMixture(), on_fail=None)
    failed = [(r["check_name"], str(r["exception"])) for r in results if r["status"] == "failed"]
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert failed == []
    assert skipped <= ALLOWED_SKIPS, skipped - ALLOWED_SKIPS
    assert len(results) >= 40


def class_start(X, y, covariance_type, reg=1e-6):
    """A start from the classes of a labelled data set: proportions, class means, and the
    precisions of the class covariances in the type's shape."""
    classes = np.unique(y)
    d = X.shape[1]
    weights = np.array([np.mean(y == c) for c in classes])
    means = np.array([X[y == c].mean(0) for c in classes])
    covariances = np.array([np.cov(X[y == c].T, bias=True) + reg * np.eye(d) for c in classes])
    if covariance_type == "full":
        precisions = np.array([np.linalg.inv(c) for c in covariances])
    elif covariance_type == "tied":
        precisions = np.linalg.inv(np.tensordot(weights, covariances, 1))
    elif covariance_type == "diag":
        precisions = 1 / np.array([np.diag(c) for c in covariances])
    else:
        precisions = 1 / np.array([np.diag(c).mean() for c in covariances])
    return dict(n_components=len(classes), weights_init=weights, means_init=means, precisions_init=precisions)


def assert_close(ours, theirs, tolerance=1e-9):
    """Every entry within `tolerance` of scikit-learn's, relative to the array's largest entry."""
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape
    scale = max(np.max(np.abs(theirs)), 1e-300)
    assert np.max(np.abs(ours - theirs)) <= tolerance * scale, np.max(np.abs(ours - theirs)) / scale


@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_agrees_with_sklearn_from_the_same_start(dataset, covariance_type):
    X, y = DATASETS[dataset](return_X_y=True)
    params = dict(class_start(X, y, covariance_type), covariance_type=covariance_type, tol=0, max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SklearnGaussianMixture(**params).fit(X)
        ours = GaussianMixture(**params).fit(X)
    assert ours.n_iter_ == theirs.n_iter_ == 30
    assert ours.converged_ == theirs.converged_
    for name in ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]:
        assert_close(getattr(ours, name), getattr(theirs, name))
    assert_close(ours.lower_bounds_, theirs.lower_bounds_)
    assert abs(ours.lower_bound_ - theirs.lower_bound_) <= 1e-9 * abs(theirs.lower_bound_)
    scores_ours, scores_theirs = ours.score_samples(X), theirs.score_samples(X)
    assert np.all(np.abs(scores_ours - scores_theirs) <= 1e-9 * np.abs(scores_theirs))
    assert np.max(np.abs(ours.predict_proba(X) - theirs.predict_proba(X))) <= 1e-9
    assert np.array_equal(ours.predict(X), theirs.predict(X))
    assert abs(ours.bic(X) - theirs.bic(X)) <= 1e-9 * abs(theirs.bic(X))
    assert abs(ours.aic(X) - theirs.aic(X)) <= 1e-9 * abs(theirs.aic(X))
    assert abs(ours.score(X) - theirs.score(X)) <= 1e-9 * abs(theirs.score(X))


def test_defaults_match_sklearn():
    ours, theirs = GaussianMixture().get_params(), SklearnGaussianMixture().get_params()
    assert {k: v for k, v in ours.items() if k not in ("n_threads", "dtype", "exact_dense")} == theirs
    assert ours["n_threads"] is None and ours["dtype"] is None and ours["exact_dense"] is False


def test_one_component_is_the_sample_mean_and_covariance():
    X = load_iris().data
    model = GaussianMixture().fit(X)
    assert np.allclose(model.means_[0], X.mean(0), rtol=1e-13, atol=0)
    assert np.allclose(model.covariances_[0], np.cov(X.T, bias=True) + 1e-6 * np.eye(4), rtol=1e-12, atol=1e-15)
    assert model.converged_ and model.n_iter_ == 2


def test_pipeline_gridsearch_clone_pickle():
    X = load_wine().data
    pipe = Pipeline([("scale", StandardScaler()), ("gmm", GaussianMixture(random_state=0))])
    search = GridSearchCV(pipe, {"gmm__n_components": [1, 2, 3], "gmm__covariance_type": ["full", "diag"]}, cv=3)
    search.fit(X)
    assert search.best_params_["gmm__n_components"] in (1, 2, 3)
    fitted = search.best_estimator_.named_steps["gmm"]
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params() and not hasattr(copy, "means_")
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    assert np.array_equal(restored.score_samples(X), search.best_estimator_.score_samples(X))
    assert np.array_equal(restored.predict_proba(X), search.best_estimator_.predict_proba(X))


def test_float32_fits_in_place():
    X = np.ascontiguousarray(load_iris().data, dtype=np.float32)
    model = GaussianMixture(3, random_state=1)
    assert model._fit_array(X) is X
    fortran = np.asfortranarray(X)
    converted = model._fit_array(fortran)
    assert converted.flags.c_contiguous and converted.dtype == np.float32
    model.fit(X)
    double = GaussianMixture(3, random_state=1, dtype="float64").fit(X)
    assert double._fit_array(X).dtype == np.float64
    assert abs(model.lower_bound_ - double.lower_bound_) <= 1e-5 * abs(double.lower_bound_)


def test_float32_rows_are_scored_in_place_and_agree_with_float64():
    X = np.ascontiguousarray(load_iris().data, dtype=np.float32)
    model = GaussianMixture(3, random_state=1).fit(X.astype(np.float64))
    assert model._score_array(X) is X
    assert GaussianMixture(3, dtype="float64").fit(X)._score_array(X).dtype == np.float64
    wide = X.astype(np.float64)
    assert np.allclose(model.score_samples(X), model.score_samples(wide), rtol=1e-5, atol=1e-5)
    assert np.allclose(model.predict_proba(X), model.predict_proba(wide), atol=1e-5)
    assert (model.predict(X) == model.predict(wide)).mean() >= 0.99


def test_gil_is_released_during_a_fit():
    # The fit runs until cancelled, and only a Python thread can cancel it: if the fit held the
    # GIL, that thread could never run and the test would hang instead of passing.
    rng = np.random.default_rng(0)
    X = np.ascontiguousarray(rng.normal(size=(20000, 8)))
    model = GaussianMixture(4, tol=0, max_iter=10**8, random_state=0)
    model._validate_params()
    X = model._fit_array(X)
    cancel = ctypes.c_int32(0)
    outcome = {}

    def fit():
        try:
            model._run_fit(X, None, cancel)
        except KeyboardInterrupt as error:
            outcome["error"] = error

    worker = threading.Thread(target=fit)
    worker.start()
    total = sum(i * i for i in range(200000))  # Python work while the fit runs
    cancel.value = 1
    worker.join()
    assert total > 0
    assert "cancelled" in str(outcome["error"])


def test_ctrl_c_stops_a_long_fit():
    # The child prints "Iteration 1" from the fit's progress callback; SIGINT after that line
    # interrupts a fit that is running in the library, which must stop with KeyboardInterrupt.
    script = (
        "import numpy as np, sys\n"
        "from gaussianmixtures import GaussianMixture\n"
        "X = np.random.default_rng(0).normal(size=(50000, 8))\n"
        "try:\n"
        "    GaussianMixture(4, tol=0, max_iter=10**8, verbose=1, verbose_interval=1).fit(X)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
        "    sys.exit(3)\n"
    )
    process = subprocess.Popen([sys.executable, "-u", "-c", script], stdout=subprocess.PIPE, text=True)
    line = ""
    while "Iteration 1" not in line:
        line = process.stdout.readline()
        assert line, "the child ended before its first iteration"
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=300)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the fit did not stop on SIGINT")
    assert process.returncode == 3
    assert process.stdout.read().strip().endswith("interrupted")


def test_sample_weights_are_duplicated_rows():
    X, y = load_iris(return_X_y=True)
    start = class_start(X, y, "full")
    weights = np.tile([1.0, 2.0, 3.0], 50)
    repeated = np.repeat(X, weights.astype(int), axis=0)
    a = GaussianMixture(**start, tol=0, max_iter=20).fit(X, sample_weight=weights)
    b = GaussianMixture(**start, tol=0, max_iter=20).fit(repeated)
    assert_close(a.means_, b.means_, 1e-12)
    assert_close(a.covariances_, b.covariances_, 1e-11)


def test_warm_start_continues_from_the_fitted_model():
    X = load_iris().data
    model = GaussianMixture(3, warm_start=True, max_iter=5, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
        first_score = model.score(X)
        model.fit(X)
    assert abs(model.lower_bounds_[0] - first_score) <= 1e-12 * abs(first_score)


def test_warm_start_after_another_covariance_type_starts_afresh():
    # 3 components on 3 features: tied's (3, 3) factor has diag's shape; a review found the
    # second fit reading diag's factors as tied's and failing.
    X = load_iris().data[:, :3]
    model = GaussianMixture(3, covariance_type="diag", warm_start=True, random_state=0).fit(X)
    model.set_params(covariance_type="tied")
    model.fit(X)
    fresh = GaussianMixture(3, covariance_type="tied", random_state=0).fit(X)
    assert model.covariances_.shape == (3, 3)
    assert abs(model.lower_bound_ - fresh.lower_bound_) <= 1e-9 * abs(fresh.lower_bound_)


def test_partial_starts_keep_the_given_parameters():
    X, y = load_iris(return_X_y=True)
    start = class_start(X, y, "diag")
    for name in ["weights_init", "means_init", "precisions_init"]:
        model = GaussianMixture(3, covariance_type="diag", max_iter=0, random_state=0, **{name: start[name]}).fit(X)
        attribute = {"weights_init": "weights_", "means_init": "means_", "precisions_init": "precisions_"}[name]
        assert_close(getattr(model, attribute), start[name], 1e-12)


def test_convergence_warning_and_errors():
    X = load_iris().data
    with pytest.warns(ConvergenceWarning):
        GaussianMixture(3, max_iter=1, random_state=0).fit(X)
    with pytest.raises(NotFittedError):
        GaussianMixture().predict(X)
    bad = X.copy()
    bad[4, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GaussianMixture().fit(bad)
    with pytest.raises(ValueError, match="n_components = 200"):
        GaussianMixture(200).fit(X)
    with pytest.raises(ValueError, match="covariance_type"):
        GaussianMixture(covariance_type="round").fit(X)
    with pytest.raises(ValueError, match="weights sum to"):
        GaussianMixture(2, weights_init=[0.5, 0.6]).fit(X)
    with pytest.raises(ValueError, match="precisions_init"):
        GaussianMixture(2, precisions_init=np.ones((3, 4, 4))).fit(X)
    with pytest.raises(ValueError, match="not positive definite"):
        GaussianMixture(2, precisions_init=np.stack([-np.eye(4)] * 2)).fit(X)
    model = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="4 features"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(0)


def test_sample_and_verbose(capsys):
    X = load_iris().data
    model = GaussianMixture(3, random_state=0, verbose=2, verbose_interval=1).fit(X)
    printed = capsys.readouterr().out
    assert "Initialization 0" in printed and "Iteration 1" in printed
    samples, labels = model.sample(2000)
    assert samples.shape == (2000, 4) and labels.shape == (2000,)
    assert np.all(np.diff(labels) >= 0)
    # Component proportions within 5 standard errors of the weights.
    counts = np.bincount(labels, minlength=3) / 2000
    assert np.all(np.abs(counts - model.weights_) <= 5 * np.sqrt(model.weights_ * (1 - model.weights_) / 2000))


def test_installed_library_does_not_load_the_toolchain():
    library = os.path.join(os.path.dirname(gaussianmixtures.__file__), "_lib", "libgaussianmixtures.so")
    listing = subprocess.run(["ldd", library], check=True, capture_output=True, text=True).stdout
    assert "not found" not in listing
    swift = subprocess.run(["sh", "-c", "command -v swift || true"], capture_output=True, text=True).stdout.strip()
    if swift:
        toolchain = os.path.dirname(os.path.dirname(os.path.realpath(swift)))
        assert toolchain not in listing, listing
    assert "libswiftCore.so => " + os.path.dirname(library) in listing


def test_cancelled_status_is_keyboard_interrupt():
    assert CANCELLED == 4


def test_concurrent_fits_on_python_threads_match_a_sequential_fit():
    X = load_wine().data
    params = dict(n_components=3, covariance_type="diag", random_state=5, n_init=2, n_threads=1)
    sequential = GaussianMixture(**params).fit(X)
    models = [GaussianMixture(**params) for _ in range(4)]
    threads = [threading.Thread(target=model.fit, args=(X,)) for model in models]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for model in models:
        assert np.array_equal(model.means_, sequential.means_)
        assert model.lower_bounds_ == sequential.lower_bounds_


def test_fit_predict_is_fit_then_predict():
    X = load_iris().data
    labels = GaussianMixture(3, random_state=4).fit_predict(X)
    assert np.array_equal(labels, GaussianMixture(3, random_state=4).fit(X).predict(X))


def test_exact_dense_gives_the_pruned_fit_to_rounding():
    # 16 well-separated blobs in 8-D (where pruning pays): the default fit holds most rows to one
    # component (pruned responsibilities); exact_dense evaluates every pair. Same iterations,
    # same model to rounding.
    rng = np.random.default_rng(3)
    centers = rng.uniform(-25, 25, size=(16, 8))
    X = np.vstack([rng.normal(c, 0.4, size=(300, 8)) for c in centers])
    start = dict(n_components=16, means_init=centers, tol=0, max_iter=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol = 0 never converges
        pruned = GaussianMixture(**start).fit(X)
        dense = GaussianMixture(**start, exact_dense=True).fit(X)
    assert pruned.n_iter_ == dense.n_iter_
    assert_close(pruned.weights_, dense.weights_, 1e-11)
    assert_close(pruned.means_, dense.means_, 1e-11)
    assert_close(pruned.covariances_, dense.covariances_, 1e-10)
    assert abs(pruned.lower_bound_ - dense.lower_bound_) < 1e-12 * abs(dense.lower_bound_)


FITTED_ATTRIBUTES = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]


def with_attributes(model, source):
    """`model` given copies of `source`'s fitted attributes (scikit-learn's or ours), as a user
    sets them by hand."""
    for name in FITTED_ATTRIBUTES:
        setattr(model, name, np.array(getattr(source, name), dtype=float))
    return model


def assert_scores_agree(ours, theirs, X, tolerance=1e-10):
    """Every method that reads the fitted attributes gives scikit-learn's answer."""
    assert_close(ours.score_samples(X), theirs.score_samples(X), tolerance)
    assert_close(ours.predict_proba(X), theirs.predict_proba(X), tolerance)
    assert np.array_equal(ours.predict(X), theirs.predict(X))
    for method in ["score", "bic", "aic"]:
        assert abs(getattr(ours, method)(X) - getattr(theirs, method)(X)) <= tolerance * abs(getattr(theirs, method)(X))


def test_edited_weights_and_means_are_read_as_sklearn_reads_them():
    X = load_iris().data
    ours = GaussianMixture(3, random_state=0).fit(X)
    theirs = with_attributes(SklearnGaussianMixture(3), ours)
    before = ours.score(X)
    for model in (ours, theirs):
        model.weights_ = np.array([0.6, 0.3, 0.1])
    assert ours.score(X) != before
    assert_scores_agree(ours, theirs, X)
    for model in (ours, theirs):  # in place, and not summing to 1
        model.weights_[0] = 1.2
    assert_scores_agree(ours, theirs, X)
    for model in (ours, theirs):
        model.means_[1] += 0.5
    assert_scores_agree(ours, theirs, X)


def test_an_unchanged_model_keeps_its_handle():
    X = load_iris().data
    model = GaussianMixture(3, random_state=0).fit(X)
    handle = model._handle()[0]
    model.predict(X), model.score(X), model.predict_proba(X)
    assert model._handle()[0] is handle
    model.means_ = model.means_.copy()  # another object, the same values
    assert model._handle()[0] is handle
    model.means_[0, 0] += 1e-3
    assert model._handle()[0] is not handle


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_attributes_set_by_hand_score_as_sklearn(covariance_type):
    X = load_wine().data
    theirs = SklearnGaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    ours = with_attributes(GaussianMixture(3, covariance_type=covariance_type), theirs)
    assert_scores_agree(ours, theirs, X)
    samples, labels = ours.sample(500)
    assert samples.shape == (500, X.shape[1]) and labels.shape == (500,)
    if covariance_type == "full":
        # scikit-learn also scores with lower-triangular factors of the precisions.
        for model in (ours, theirs):
            model.precisions_cholesky_ = np.linalg.cholesky(model.precisions_)
        assert_scores_agree(ours, theirs, X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_unpickled_then_edited_scores_as_sklearn(covariance_type):
    X = load_iris().data
    ours = pickle.loads(pickle.dumps(GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)))
    ours.score(X)  # makes the handle of the unpickled attributes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        other = SklearnGaussianMixture(3, covariance_type=covariance_type, random_state=1, max_iter=3).fit(X)
    ours.weights_ = other.weights_.copy()
    ours.means_[:] = other.means_
    # Scoring reads precisions_cholesky_ (not covariances_), as scikit-learn's does.
    ours.precisions_cholesky_ = other.precisions_cholesky_.copy()
    theirs = with_attributes(SklearnGaussianMixture(3, covariance_type=covariance_type), ours)
    assert_scores_agree(ours, theirs, X)


def test_warm_start_continues_from_attributes_set_by_hand():
    X = load_iris().data
    params = dict(n_components=3, warm_start=True, max_iter=5, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = SklearnGaussianMixture(3, random_state=0, max_iter=2).fit(X)
        models = [with_attributes(Model(**params), start) for Model in (GaussianMixture, SklearnGaussianMixture)]
        for model in models:
            model.converged_, model.lower_bound_ = False, -np.inf
            model.fit(X)
    ours, theirs = models
    assert_close(ours.lower_bounds_, theirs.lower_bounds_)
    assert_close(ours.means_, theirs.means_)


def test_invalid_attributes_set_by_hand_are_value_errors():
    X = load_iris().data
    fitted = SklearnGaussianMixture(2, random_state=0).fit(X)

    def model(**changes):
        result = with_attributes(GaussianMixture(2), fitted)
        for name, value in changes.items():
            setattr(result, name, value)
        return result

    with pytest.raises(ValueError, match="weights_"):
        model(weights_=np.array([0.2, 0.3, 0.5])).predict(X)
    with pytest.raises(ValueError, match="precisions_cholesky_"):
        model(precisions_cholesky_=fitted.precisions_cholesky_[:, :3, :3]).score_samples(X)
    with pytest.raises(ValueError, match="means_"):
        model(means_=fitted.means_[0]).predict_proba(X)
    with pytest.raises(ValueError, match="triangular"):
        model(precisions_cholesky_=fitted.precisions_cholesky_ + 0.01).score(X)
    with pytest.raises(ValueError, match="NaN"):
        model(precisions_cholesky_=np.full((2, 4, 4), np.nan)).score(X)
    with pytest.raises(ValueError, match="not positive definite"):
        model(covariances_=-fitted.covariances_).sample(5)
    with pytest.raises(ValueError, match="non-negative"):
        model(weights_=np.array([1.5, -0.5])).predict(X)
    wrong_type = model()
    wrong_type.covariance_type = "diag"
    with pytest.raises(ValueError, match="covariance_type='diag'"):
        wrong_type.predict(X)
