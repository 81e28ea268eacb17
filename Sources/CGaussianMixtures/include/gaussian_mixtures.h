/*
 * gaussian_mixtures.h: the C interface of libgaussianmixtures, Gaussian mixture models fitted by
 * expectation-maximization with scikit-learn's semantics (sklearn.mixture.GaussianMixture).
 *
 * Conventions
 *   - Data are row-major: row n, feature j at X[n * cols + j].
 *   - Every function returns a gm_status. On anything but GM_OK, gm_last_error() gives a one-line
 *     message (what and where) for the calling thread, and a function given a model handle also
 *     stores it on the handle (gm_model_last_error). Output arguments are untouched on failure.
 *   - Output arrays are allocated by the caller; each getter takes the number of elements the
 *     array holds and fails (GM_INVALID_ARGUMENT) when it is not the number required.
 *   - A gm_model is immutable once made: one handle may be read from several threads at once,
 *     and distinct handles are independent. Free each handle once with gm_model_free.
 *   - Covariance-shaped arrays use scikit-learn's shapes for the model's covariance type:
 *     full K x D x D, tied D x D, diag K x D, spherical K (see gm_model_info.covariance_size).
 */
#ifndef GAUSSIAN_MIXTURES_H
#define GAUSSIAN_MIXTURES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GM_VERSION_MAJOR 1
#define GM_VERSION_MINOR 0

/* Status codes. */
typedef int32_t gm_status;
enum {
    GM_OK = 0,
    GM_INVALID_ARGUMENT = 1, /* a null pointer, a size that is wrong or overflows, an option out of range */
    GM_INVALID_DATA = 2,     /* NaN or infinity in the data, bad sample weights, too few rows */
    GM_FIT_FAILED = 3,       /* a collapsed component or a non-finite likelihood during EM */
    GM_CANCELLED = 4,        /* the cancellation flag was set or the progress callback returned non-zero */
    GM_IO_ERROR = 5,         /* a model file could not be read or written */
    GM_FORMAT_ERROR = 6,     /* a model file or JSON text is not a valid model */
    GM_INTERNAL_ERROR = 7    /* anything else (a bug: please report the message) */
};

/* covariance_type */
enum { GM_COVARIANCE_FULL = 0, GM_COVARIANCE_TIED = 1, GM_COVARIANCE_DIAG = 2, GM_COVARIANCE_SPHERICAL = 3 };

/* init_params */
enum { GM_INIT_KMEANS = 0, GM_INIT_K_MEANS_PLUS_PLUS = 1, GM_INIT_RANDOM = 2, GM_INIT_RANDOM_FROM_DATA = 3 };

/*
 * Called after every EM iteration with the 0-based restart, the 1-based iteration, the lower
 * bound (mean log-likelihood per sample) and its change. Return 0 to go on, non-zero to cancel
 * the fit (it then returns GM_CANCELLED). Runs on the thread that called gm_fit.
 */
typedef int (*gm_progress_fn)(void *user_data, int64_t restart, int64_t iteration, double lower_bound, double change);

/* Fit options, scikit-learn's names; gm_options_init sets scikit-learn's defaults. */
typedef struct gm_options {
    size_t struct_size;          /* sizeof(gm_options), set by gm_options_init */
    int64_t n_components;        /* 1 */
    int32_t covariance_type;     /* GM_COVARIANCE_FULL */
    double tol;                  /* 1e-3, on the mean log-likelihood per sample */
    double reg_covar;            /* 1e-6 */
    int64_t max_iter;            /* 100 (0 returns the initial model) */
    int64_t n_init;              /* 1 */
    int32_t init_params;         /* GM_INIT_KMEANS */
    uint64_t random_state;       /* 0 */
    int64_t n_threads;           /* 0: all cores */
    int32_t reseed_empty_components; /* 0 (scikit-learn keeps empty components) */
    /* Partial start (scikit-learn's weights_init, means_init, precisions_init), each optional
     * (NULL). weights_init: K values; means_init: K x D; precisions_init: the covariance type's
     * shape. Ignored when gm_fit is given a start model. */
    const double *weights_init;
    const double *means_init;
    const double *precisions_init;
    gm_progress_fn progress;     /* NULL */
    void *progress_user_data;    /* NULL */
    const volatile int32_t *cancel; /* NULL; set *cancel to non-zero from any thread to stop the fit */
    int32_t exact_dense;         /* 0: prune responsibilities below 2^-80 where it can pay
                                  * (K·M >= 400 with K >= 4, or M >= 1000 with K >= 2, M =
                                  * D(D+3)/2 + 1: FitOptions.exactDense; the same model to
                                  * rounding); non-zero evaluates every (row, component) pair */
} gm_options;

/* Summary of a model and of the fit that made it. */
typedef struct gm_model_info {
    int64_t n_components;
    int64_t n_features;
    int32_t covariance_type;
    int64_t covariance_size;     /* elements of a covariance-shaped array */
    int32_t converged;           /* 1 when the last fit converged (0 for a model not fitted here) */
    int64_t n_iter;              /* EM iterations of the best restart */
    double lower_bound;          /* the best restart's final lower bound (-inf when no iteration ran) */
    int64_t lower_bounds_count;  /* length of the lower bound history */
    int64_t n_parameters;        /* free parameters, as BIC and AIC count them */
} gm_model_info;

typedef struct gm_model gm_model;

/* Library version, "major.minor". */
const char *gm_version(void);

/* The message of the calling thread's last failure ("" when none). Valid until the thread's next failure. */
const char *gm_last_error(void);

/* The message of the last failure of a call given this handle. Valid until the next call on it fails or it is freed. */
const char *gm_model_last_error(const gm_model *model);

/* scikit-learn's defaults. */
void gm_options_init(gm_options *options);

/*
 * Fits a mixture to the rows x cols values at X (float64 or float32, row-major; float32 data
 * fit in single precision without a copy). sample_weight: NULL or one finite non-negative
 * weight per row. options: NULL for the defaults. start: NULL, or a model to start EM from (a
 * warm start; it must have n_components components, cols features and the covariance type).
 * On GM_OK *out holds a new handle.
 */
gm_status gm_fit(const double *X, size_t rows, size_t cols, const double *sample_weight,
                 const gm_options *options, const gm_model *start, gm_model **out);
gm_status gm_fit_float(const float *X, size_t rows, size_t cols, const double *sample_weight,
                       const gm_options *options, const gm_model *start, gm_model **out);

/*
 * Makes a model from parameters: weights (K), means (K x D), covariances in the type's shape.
 * It checks that weights sum to 1 and every covariance is symmetric positive definite.
 */
gm_status gm_model_create(size_t n_components, size_t n_features, int32_t covariance_type,
                          const double *weights, const double *means, const double *covariances,
                          gm_model **out);

void gm_model_free(gm_model *model);

/* Worker threads of the scoring functions below (default: the fit's n_threads; 0 = all cores). */
gm_status gm_model_set_threads(gm_model *model, int64_t n_threads);

gm_status gm_model_get_info(const gm_model *model, gm_model_info *info);
gm_status gm_model_weights(const gm_model *model, double *out, size_t count);               /* K */
gm_status gm_model_means(const gm_model *model, double *out, size_t count);                 /* K x D */
gm_status gm_model_covariances(const gm_model *model, double *out, size_t count);           /* covariance_size */
gm_status gm_model_precisions(const gm_model *model, double *out, size_t count);            /* covariance_size */
/* Upper-triangular factors U with precision = U U^T (scikit-learn's precisions_cholesky_). */
gm_status gm_model_precisions_cholesky(const gm_model *model, double *out, size_t count);  /* covariance_size */
gm_status gm_model_lower_bounds(const gm_model *model, double *out, size_t count);          /* lower_bounds_count */

/* Scoring (float64 rows x cols, cols == n_features). */
gm_status gm_score_samples(const gm_model *model, const double *X, size_t rows, size_t cols, double *out); /* rows */
gm_status gm_score(const gm_model *model, const double *X, size_t rows, size_t cols, double *out);         /* 1 */
gm_status gm_predict(const gm_model *model, const double *X, size_t rows, size_t cols, int64_t *labels);   /* rows */
gm_status gm_predict_proba(const gm_model *model, const double *X, size_t rows, size_t cols, double *out); /* rows x K */
/* The same three over float32 rows, scored in float32 without a copy (to about 1e-6 relative). */
gm_status gm_score_samples_float(const gm_model *model, const float *X, size_t rows, size_t cols, double *out);
gm_status gm_predict_float(const gm_model *model, const float *X, size_t rows, size_t cols, int64_t *labels);
gm_status gm_predict_proba_float(const gm_model *model, const float *X, size_t rows, size_t cols, double *out);
gm_status gm_bic(const gm_model *model, const double *X, size_t rows, size_t cols, double *out);
gm_status gm_aic(const gm_model *model, const double *X, size_t rows, size_t cols, double *out);

/* Draws n rows (out: n x D) and, if labels is not NULL, the component of each (n). */
gm_status gm_sample(const gm_model *model, size_t n, uint64_t seed, double *out, int64_t *labels);

/* The JSON model file (the `gmm` command's format, scikit-learn's attribute names). */
gm_status gm_model_to_json(const gm_model *model, char **json, size_t *length); /* free with gm_string_free */
void gm_string_free(char *text);
gm_status gm_model_from_json(const char *json, size_t length, gm_model **out);
gm_status gm_model_save(const gm_model *model, const char *path);
gm_status gm_model_load(const char *path, gm_model **out);

#ifdef __cplusplus
}
#endif

#endif /* GAUSSIAN_MIXTURES_H */
