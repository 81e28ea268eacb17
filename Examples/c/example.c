/*
 * Fits 3 Gaussians to the bundled Iris data through libgaussianmixtures' C interface, then
 * scores, predicts, samples, writes and reads back the model, and shows an error message.
 *
 *   scripts/install-c /tmp/gm
 *   cc Examples/c/example.c $(PKG_CONFIG_PATH=/tmp/gm/lib/pkgconfig pkg-config --cflags --libs gaussianmixtures) -o example
 *   ./example Examples/iris.csv
 */
#include <gaussian_mixtures.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a CSV file of numbers with one header line into a new row-major array. */
static double *read_csv(const char *path, size_t *rows, size_t *cols) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); return NULL; }
    char line[4096];
    size_t r = 0, c = 0, capacity = 0;
    double *x = NULL;
    if (!fgets(line, sizeof line, f)) { fclose(f); return NULL; } /* header */
    while (fgets(line, sizeof line, f)) {
        size_t n = 0;
        for (char *p = line, *end; ; p = end + 1) {
            double v = strtod(p, &end);
            if (end == p) break;
            if (r * c + n + 1 > capacity) {
                capacity = capacity ? 2 * capacity : 1024;
                double *grown = realloc(x, capacity * sizeof *x);
                if (!grown) { free(x); fclose(f); return NULL; }
                x = grown;
            }
            x[(r == 0 ? 0 : r * c) + n++] = v;
            if (*end != ',') break;
        }
        if (n == 0) continue;
        if (r == 0) c = n;
        else if (n != c) { fprintf(stderr, "%s: row %zu has %zu values, expected %zu\n", path, r + 1, n, c); free(x); fclose(f); return NULL; }
        r++;
    }
    fclose(f);
    *rows = r;
    *cols = c;
    return x;
}

#define CHECK(call) do { gm_status s_ = (call); if (s_ != GM_OK) { \
    fprintf(stderr, "%s failed (%d): %s\n", #call, (int)s_, gm_last_error()); return 1; } } while (0)

static int show_progress(void *user, int64_t restart, int64_t iteration, double lower_bound, double change) {
    (void)user; (void)restart;
    if (iteration <= 3) printf("  iteration %lld: lower bound %.6f (change %.3g)\n", (long long)iteration, lower_bound, change);
    return 0; /* non-zero would cancel the fit */
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "Examples/iris.csv";
    size_t n, d;
    double *x = read_csv(path, &n, &d);
    if (!x) return 1;
    printf("libgaussianmixtures %s: %zu rows x %zu columns from %s\n", gm_version(), n, d, path);

    gm_options options;
    gm_options_init(&options);           /* scikit-learn's defaults */
    options.n_components = 3;
    options.covariance_type = GM_COVARIANCE_FULL;
    options.tol = 1e-6;
    options.n_init = 3;
    options.random_state = 42;
    options.progress = show_progress;

    gm_model *model = NULL;
    CHECK(gm_fit(x, n, d, NULL, &options, NULL, &model));

    gm_model_info info;
    CHECK(gm_model_get_info(model, &info));
    printf("converged %d after %lld iterations, lower bound %.6f\n", info.converged, (long long)info.n_iter, info.lower_bound);

    double weights[3], means[3 * 4];
    CHECK(gm_model_weights(model, weights, 3));
    CHECK(gm_model_means(model, means, 3 * d));
    for (int k = 0; k < 3; k++) {
        printf("component %d: weight %.4f, mean", k, weights[k]);
        for (size_t j = 0; j < d; j++) printf(" %.3f", means[k * d + j]);
        printf("\n");
    }

    double bic, aic, score;
    CHECK(gm_bic(model, x, n, d, &bic));
    CHECK(gm_aic(model, x, n, d, &aic));
    CHECK(gm_score(model, x, n, d, &score));
    printf("BIC %.4f, AIC %.4f, mean log-likelihood %.6f\n", bic, aic, score);

    int64_t *labels = malloc(n * sizeof *labels);
    if (!labels) return 1;
    CHECK(gm_predict(model, x, n, d, labels));
    printf("labels of rows 1, 51, 101: %lld %lld %lld\n", (long long)labels[0], (long long)labels[50], (long long)labels[100]);
    free(labels);

    double sample[2 * 4];
    CHECK(gm_sample(model, 2, 7, sample, NULL));
    printf("a sample: %.3f %.3f %.3f %.3f\n", sample[0], sample[1], sample[2], sample[3]);

    /* The JSON model file round trip. */
    char *json = NULL;
    size_t length = 0;
    CHECK(gm_model_to_json(model, &json, &length));
    gm_model *copy = NULL;
    CHECK(gm_model_from_json(json, length, &copy));
    gm_string_free(json);
    double score_copy;
    CHECK(gm_score(copy, x, n, d, &score_copy));
    printf("the model read back from JSON scores %.6f\n", score_copy);
    gm_model_free(copy);

    /* Bad input gives a status code and a message saying what and where. */
    x[7 * d + 2] = NAN;
    gm_model *bad = NULL;
    gm_status status = gm_fit(x, n, d, NULL, &options, NULL, &bad);
    printf("fit with a NaN: status %d, \"%s\"\n", (int)status, gm_last_error());

    gm_model_free(model);
    free(x);
    return status == GM_INVALID_DATA ? 0 : 1;
}
