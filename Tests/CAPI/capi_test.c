/*
 * Tests of libgaussianmixtures' C interface against closed forms and invariants, run by
 * scripts/test-c: a one-component fit equals the sample mean and covariance; scores, BIC, AIC,
 * responsibilities and precisions agree with each other; concurrent fits on distinct handles
 * give the bits of a sequential fit; cancellation, bad pointers and sizes give status codes and
 * messages; JSON round trips keep every parameter.
 * Usage: capi_test IRIS_CSV TMPDIR
 */
#include <gaussian_mixtures.h>

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define EXPECT(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); } } while (0)
#define OK(call) do { gm_status s_ = (call); if (s_ != GM_OK) { fprintf(stderr, "FAIL %s:%d: %s: %d %s\n", __FILE__, __LINE__, \
    #call, (int)s_, gm_last_error()); exit(1); } } while (0)
#define CLOSE(a, b, tol) EXPECT(fabs((a) - (b)) <= (tol) * (1 + fabs(b)), "%.17g vs %.17g", (double)(a), (double)(b))

static double *read_csv(const char *path, size_t *rows, size_t *cols) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(1); }
    char line[4096];
    size_t r = 0, c = 0;
    double *x = malloc(1000 * 16 * sizeof *x);
    if (!x || !fgets(line, sizeof line, f)) exit(1);
    while (fgets(line, sizeof line, f) && r < 1000) {
        size_t n = 0;
        for (char *p = line, *end; n < 16; p = end + 1) {
            double v = strtod(p, &end);
            if (end == p) break;
            x[r * 16 + n++] = v;
            if (*end != ',') break;
        }
        if (n == 0) continue;
        c = n;
        r++;
    }
    fclose(f);
    for (size_t i = 0; i < r; i++) memmove(x + i * c, x + i * 16, c * sizeof *x);
    *rows = r;
    *cols = c;
    return x;
}

static double *X;
static size_t N, D;

static void test_one_component_closed_form(void) {
    gm_options o;
    gm_options_init(&o);
    o.covariance_type = GM_COVARIANCE_DIAG;
    gm_model *m = NULL;
    OK(gm_fit(X, N, D, NULL, &o, NULL, &m));
    double mean[16], var[16], prec[16], chol[16];
    OK(gm_model_means(m, mean, D));
    OK(gm_model_covariances(m, var, D));
    OK(gm_model_precisions(m, prec, D));
    OK(gm_model_precisions_cholesky(m, chol, D));
    double ll = 0;
    for (size_t j = 0; j < D; j++) {
        double s = 0, ss = 0;
        for (size_t n = 0; n < N; n++) s += X[n * D + j];
        s /= N;
        for (size_t n = 0; n < N; n++) ss += (X[n * D + j] - s) * (X[n * D + j] - s);
        ss /= N;
        CLOSE(mean[j], s, 1e-12);
        CLOSE(var[j], ss + 1e-6, 1e-12);
        CLOSE(prec[j], 1 / (ss + 1e-6), 1e-12);
        CLOSE(chol[j], 1 / sqrt(ss + 1e-6), 1e-12);
        ll += -0.5 * (log(2 * M_PI) + log(ss + 1e-6) + ss / (ss + 1e-6));
    }
    gm_model_info info;
    OK(gm_model_get_info(m, &info));
    EXPECT(info.converged == 1 && info.n_iter == 2, "converged %d n_iter %lld", info.converged, (long long)info.n_iter);
    CLOSE(info.lower_bound, ll, 1e-12);
    EXPECT(info.covariance_size == (int64_t)D && info.n_parameters == (int64_t)(2 * D), "sizes");
    double score;
    OK(gm_score(m, X, N, D, &score));
    CLOSE(score, ll, 1e-12);
    gm_model_free(m);
}

static void test_invariants(void) {
    gm_options o;
    gm_options_init(&o);
    o.n_components = 3;
    o.random_state = 3;
    gm_model *m = NULL;
    OK(gm_fit(X, N, D, NULL, &o, NULL, &m));
    gm_model_info info;
    OK(gm_model_get_info(m, &info));
    EXPECT(info.n_components == 3 && info.n_features == (int64_t)D && info.covariance_size == (int64_t)(3 * D * D), "info");
    EXPECT(info.n_parameters == 3 * 10 + 12 + 2, "n_parameters %lld", (long long)info.n_parameters);
    double *ls = malloc(N * sizeof *ls), *r = malloc(N * 3 * sizeof *r), *hist = malloc(info.lower_bounds_count * sizeof *hist);
    int64_t *labels = malloc(N * sizeof *labels);
    OK(gm_score_samples(m, X, N, D, ls));
    OK(gm_predict_proba(m, X, N, D, r));
    OK(gm_predict(m, X, N, D, labels));
    OK(gm_model_lower_bounds(m, hist, info.lower_bounds_count));
    CLOSE(hist[info.lower_bounds_count - 1], info.lower_bound, 0);
    for (int64_t i = 1; i < info.lower_bounds_count; i++) EXPECT(hist[i] >= hist[i - 1] - 1e-12, "EM decreased at %lld", (long long)i);
    double total = 0;
    for (size_t n = 0; n < N; n++) {
        double s = r[n * 3] + r[n * 3 + 1] + r[n * 3 + 2];
        CLOSE(s, 1.0, 1e-12);
        int best = 0;
        for (int k = 1; k < 3; k++) if (r[n * 3 + k] > r[n * 3 + best]) best = k;
        EXPECT(labels[n] == best, "row %zu label %lld argmax %d", n, (long long)labels[n], best);
        total += ls[n];
    }
    /* float32 rows: scored in float32, within 1e-5 of the float64 scores of the same values. */
    float *Xf = malloc(N * D * sizeof *Xf);
    double *Xw = malloc(N * D * sizeof *Xw), *lsf = malloc(N * sizeof *lsf), *lsw = malloc(N * sizeof *lsw);
    double *rf = malloc(N * 3 * sizeof *rf);
    int64_t *labelsf = malloc(N * sizeof *labelsf);
    for (size_t i = 0; i < N * D; i++) { Xf[i] = (float)X[i]; Xw[i] = (double)Xf[i]; }
    OK(gm_score_samples_float(m, Xf, N, D, lsf));
    OK(gm_predict_proba_float(m, Xf, N, D, rf));
    OK(gm_predict_float(m, Xf, N, D, labelsf));
    OK(gm_score_samples(m, Xw, N, D, lsw));
    for (size_t n = 0; n < N; n++) {
        EXPECT(fabs(lsf[n] - lsw[n]) <= 1e-5 * fmax(1, fabs(lsw[n])), "float32 row %zu: %g vs %g", n, lsf[n], lsw[n]);
        CLOSE(rf[n * 3] + rf[n * 3 + 1] + rf[n * 3 + 2], 1.0, 1e-12);
    }
    EXPECT(gm_score_samples_float(m, Xf, N, D - 1, lsf) == GM_INVALID_ARGUMENT, "float32 column check");
    free(Xf); free(Xw); free(lsf); free(lsw); free(rf); free(labelsf);
    double score, bic, aic;
    OK(gm_score(m, X, N, D, &score));
    OK(gm_bic(m, X, N, D, &bic));
    OK(gm_aic(m, X, N, D, &aic));
    CLOSE(score, total / N, 1e-12);
    CLOSE(bic, -2 * total + 44 * log((double)N), 1e-12);
    CLOSE(aic, -2 * total + 2 * 44, 1e-12);
    /* precisions = U U^T, and precision x covariance = I. */
    double cov[3 * 16 * 16], prec[3 * 16 * 16], u[3 * 16 * 16];
    size_t sz = 3 * D * D;
    OK(gm_model_covariances(m, cov, sz));
    OK(gm_model_precisions(m, prec, sz));
    OK(gm_model_precisions_cholesky(m, u, sz));
    for (int k = 0; k < 3; k++) {
        double *c = cov + k * D * D, *p = prec + k * D * D, *uk = u + k * D * D;
        for (size_t i = 0; i < D; i++) for (size_t j = 0; j < D; j++) {
            double pc = 0, uu = 0;
            for (size_t t = 0; t < D; t++) { pc += p[i * D + t] * c[t * D + j]; uu += uk[i * D + t] * uk[j * D + t]; }
            EXPECT(fabs(pc - (i == j)) < 1e-8, "P S at %zu %zu = %g", i, j, pc);
            CLOSE(uu, p[i * D + j], 1e-12);
            if (i > j) EXPECT(uk[i * D + j] == 0, "U is upper triangular");
        }
    }
    /* A warm start's first lower bound is the start model's score, and EM goes up from there. */
    gm_model *again = NULL;
    OK(gm_fit(X, N, D, NULL, &o, m, &again));
    gm_model_info info2;
    OK(gm_model_get_info(again, &info2));
    double first[200];
    OK(gm_model_lower_bounds(again, first, info2.lower_bounds_count));
    CLOSE(first[0], score, 1e-12);
    EXPECT(info2.lower_bound >= info.lower_bound, "warm start went down");
    /* A start given as weights, means and precisions with max_iter 0 is returned as is. */
    double w[3], mu[3 * 16];
    OK(gm_model_weights(m, w, 3));
    OK(gm_model_means(m, mu, 3 * D));
    gm_options s = o;
    s.max_iter = 0;
    s.weights_init = w;
    s.means_init = mu;
    s.precisions_init = prec;
    gm_model *started = NULL;
    OK(gm_fit(X, N, D, NULL, &s, NULL, &started));
    double cov2[3 * 16 * 16], mu2[3 * 16];
    OK(gm_model_covariances(started, cov2, sz));
    OK(gm_model_means(started, mu2, 3 * D));
    for (size_t i = 0; i < sz; i++) CLOSE(cov2[i], cov[i], 1e-9);
    for (size_t i = 0; i < 3 * D; i++) CLOSE(mu2[i], mu[i], 0);
    /* A partial start (means only) keeps the given means at iteration 0. */
    s.weights_init = NULL;
    s.precisions_init = NULL;
    gm_model *partial = NULL;
    OK(gm_fit(X, N, D, NULL, &s, NULL, &partial));
    OK(gm_model_means(partial, mu2, 3 * D));
    for (size_t i = 0; i < 3 * D; i++) CLOSE(mu2[i], mu[i], 0);
    /* Sample weights of 2 give the model of the duplicated rows. */
    double *twice = malloc(2 * N * D * sizeof *twice), *ones = malloc(N * sizeof *ones);
    memcpy(twice, X, N * D * sizeof *X);
    memcpy(twice + N * D, X, N * D * sizeof *X);
    for (size_t n = 0; n < N; n++) ones[n] = 2;
    gm_options one;
    gm_options_init(&one);
    gm_model *a = NULL, *b = NULL;
    OK(gm_fit(X, N, D, ones, &one, NULL, &a));
    OK(gm_fit(twice, 2 * N, D, NULL, &one, NULL, &b));
    double ca[16 * 16], cb[16 * 16];
    OK(gm_model_covariances(a, ca, D * D));
    OK(gm_model_covariances(b, cb, D * D));
    for (size_t i = 0; i < D * D; i++) CLOSE(ca[i], cb[i], 1e-12);
    gm_model_free(a); gm_model_free(b); free(twice); free(ones);
    /* Samples: D values per row, labels in range. */
    double smp[5 * 16];
    int64_t sl[5];
    OK(gm_sample(m, 5, 1, smp, sl));
    for (int i = 0; i < 5; i++) EXPECT(sl[i] >= 0 && sl[i] < 3, "sample label %lld", (long long)sl[i]);
    free(ls); free(r); free(labels); free(hist);
    gm_model_free(m); gm_model_free(again); gm_model_free(started); gm_model_free(partial);
}

static void test_float(void) {
    float *xf = malloc(N * D * sizeof *xf);
    for (size_t i = 0; i < N * D; i++) xf[i] = (float)X[i];
    gm_options o;
    gm_options_init(&o);
    o.n_components = 2;
    gm_model *a = NULL, *b = NULL;
    OK(gm_fit(X, N, D, NULL, &o, NULL, &a));
    OK(gm_fit_float(xf, N, D, NULL, &o, NULL, &b));
    gm_model_info ia, ib;
    OK(gm_model_get_info(a, &ia));
    OK(gm_model_get_info(b, &ib));
    CLOSE(ib.lower_bound, ia.lower_bound, 1e-5);
    gm_model_free(a); gm_model_free(b); free(xf);
}

typedef struct { gm_model *model; gm_status status; } job;

static void *fit_job(void *arg) {
    job *j = arg;
    gm_options o;
    gm_options_init(&o);
    o.n_components = 3;
    o.n_init = 2;
    o.random_state = 11;
    o.n_threads = 1;
    j->status = gm_fit(X, N, D, NULL, &o, NULL, &j->model);
    return NULL;
}

static void test_threads(void) {
    job seq = {0}, jobs[4] = {{0}};
    fit_job(&seq);
    OK(seq.status);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, fit_job, &jobs[i]);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    double a[3 * 16], b[3 * 16];
    OK(gm_model_means(seq.model, a, 3 * D));
    for (int i = 0; i < 4; i++) {
        OK(jobs[i].status);
        OK(gm_model_means(jobs[i].model, b, 3 * D));
        EXPECT(memcmp(a, b, 3 * D * sizeof *a) == 0, "thread %d gave other means", i);
        gm_model_free(jobs[i].model);
    }
    gm_model_free(seq.model);
}

static int stop_at_two(void *user, int64_t restart, int64_t iteration, double lb, double change) {
    (void)restart; (void)lb; (void)change;
    ++*(int *)user;
    return iteration >= 2;
}

static void test_cancellation_and_errors(const char *tmp) {
    gm_options o;
    gm_options_init(&o);
    o.n_components = 3;
    o.tol = 0;
    int calls = 0;
    o.progress = stop_at_two;
    o.progress_user_data = &calls;
    gm_model *m = NULL;
    EXPECT(gm_fit(X, N, D, NULL, &o, NULL, &m) == GM_CANCELLED && m == NULL, "progress cancel");
    EXPECT(calls == 2, "%d progress calls", calls);
    EXPECT(strstr(gm_last_error(), "cancelled") != NULL, "%s", gm_last_error());
    volatile int32_t flag = 1;
    o.progress = NULL;
    o.cancel = &flag;
    EXPECT(gm_fit(X, N, D, NULL, &o, NULL, &m) == GM_CANCELLED, "flag cancel");
    gm_options_init(&o);
    EXPECT(gm_fit(NULL, N, D, NULL, &o, NULL, &m) == GM_INVALID_ARGUMENT, "NULL X");
    EXPECT(strcmp(gm_last_error(), "gm_fit: X is NULL") == 0, "%s", gm_last_error());
    EXPECT(gm_fit(X, SIZE_MAX / 2, 3, NULL, &o, NULL, &m) == GM_INVALID_ARGUMENT, "overflow");
    EXPECT(gm_fit(X, N, D, NULL, &o, NULL, NULL) == GM_INVALID_ARGUMENT, "NULL out");
    o.covariance_type = 9;
    EXPECT(gm_fit(X, N, D, NULL, &o, NULL, &m) == GM_INVALID_ARGUMENT && strstr(gm_last_error(), "covariance_type 9"), "%s", gm_last_error());
    gm_options_init(&o);
    o.struct_size = 8;
    EXPECT(gm_fit(X, N, D, NULL, &o, NULL, &m) == GM_INVALID_ARGUMENT && strstr(gm_last_error(), "struct_size"), "%s", gm_last_error());
    gm_options_init(&o);
    o.n_components = 200;
    EXPECT(gm_fit(X, N, D, NULL, &o, NULL, &m) == GM_INVALID_DATA, "too few rows: %s", gm_last_error());
    gm_options_init(&o);
    double *w = calloc(N, sizeof *w);
    w[3] = -1;
    EXPECT(gm_fit(X, N, D, w, &o, NULL, &m) == GM_INVALID_DATA && strstr(gm_last_error(), "row 4"), "%s", gm_last_error());
    free(w);
    EXPECT(m == NULL, "out untouched on failure");

    OK(gm_fit(X, N, D, NULL, &o, NULL, &m));
    double out[16];
    EXPECT(gm_model_means(m, out, D + 1) == GM_INVALID_ARGUMENT, "wrong count");
    EXPECT(strstr(gm_model_last_error(m), "holds 5 values but 4 are needed") != NULL, "%s", gm_model_last_error(m));
    EXPECT(gm_score_samples(m, X, N, D - 1, out) == GM_INVALID_ARGUMENT && strstr(gm_last_error(), "4 features but X has 3"), "%s", gm_last_error());
    EXPECT(gm_model_get_info(NULL, NULL) == GM_INVALID_ARGUMENT, "NULL model");

    /* JSON: text and file round trips keep every parameter; bad text and missing files are named. */
    char path[4096];
    snprintf(path, sizeof path, "%s/capi-model.json", tmp);
    OK(gm_model_save(m, path));
    gm_model *loaded = NULL;
    OK(gm_model_load(path, &loaded));
    double c1[16 * 16], c2[16 * 16];
    OK(gm_model_covariances(m, c1, D * D));
    OK(gm_model_covariances(loaded, c2, D * D));
    EXPECT(memcmp(c1, c2, D * D * sizeof *c1) == 0, "covariances changed in the file");
    gm_model_info i1, i2;
    OK(gm_model_get_info(m, &i1));
    OK(gm_model_get_info(loaded, &i2));
    EXPECT(i1.n_iter == i2.n_iter && i1.lower_bound == i2.lower_bound && i1.converged == i2.converged, "fit info changed");
    gm_model *bad = NULL;
    EXPECT(gm_model_from_json("{\"weights\": [1]}", 16, &bad) == GM_FORMAT_ERROR, "bad JSON");
    EXPECT(strstr(gm_last_error(), "means") != NULL, "%s", gm_last_error());
    snprintf(path, sizeof path, "%s/no-such-folder/m.json", tmp);
    EXPECT(gm_model_load(path, &bad) == GM_IO_ERROR, "missing file: %s", gm_last_error());
    EXPECT(gm_model_save(m, path) == GM_IO_ERROR, "unwritable file: %s", gm_last_error());
    /* gm_model_create with spherical covariances. */
    double wts[2] = {0.25, 0.75}, mus[4] = {0, 0, 3, 3}, vars[2] = {1, 4};
    gm_model *sph = NULL;
    OK(gm_model_create(2, 2, GM_COVARIANCE_SPHERICAL, wts, mus, vars, &sph));
    double pt[2] = {0, 0}, lp;
    OK(gm_score_samples(sph, pt, 1, 2, &lp));
    double expect = log(0.25 / (2 * M_PI) + 0.75 / (2 * M_PI * 4) * exp(-0.5 * 18 / 4.0));
    CLOSE(lp, expect, 1e-13);
    double bad_w[2] = {0.5, 0.6};
    EXPECT(gm_model_create(2, 2, GM_COVARIANCE_SPHERICAL, bad_w, mus, vars, &bad) == GM_INVALID_ARGUMENT
           && strstr(gm_last_error(), "sum to"), "%s", gm_last_error());
    gm_model_free(sph); gm_model_free(loaded); gm_model_free(m);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: capi_test IRIS_CSV TMPDIR\n"); return 64; }
    X = read_csv(argv[1], &N, &D);
    if (N != 150 || D != 4) { fprintf(stderr, "expected Iris, 150 x 4\n"); return 1; }
    test_one_component_closed_form();
    test_invariants();
    test_float();
    test_threads();
    test_cancellation_and_errors(argv[2]);
    free(X);
    if (failures) { fprintf(stderr, "%d failures\n", failures); return 1; }
    printf("capi_test: all passed\n");
    return 0;
}
