// exp over vectors of the E-step's log-weights and the rows' normalisation (gmm_normalize_rows):
// a shifted log-sum-exp per row.
#include "Vectors.h"
#include <math.h>

/// Subtracts each row's maximum from the row, storing the maxima in `maxima`.
static void subtract_row_maxima(double *v, long rows, long columns, double *maxima) {
    for (long i = 0; i < rows; i++) {
        double *row = v + i * columns;
        double m = row[0];
        for (long j = 1; j < columns; j++) m = row[j] > m ? row[j] : m;
        // A row of -inf (every component impossible) stays -inf and gives a -inf log-sum.
        double shift = isfinite(m) ? m : 0;
        for (long j = 0; j < columns; j++) row[j] -= shift;
        maxima[i] = m;
    }
}

/// Row i's leading column (the last whose exp(v_ij - m_i) is exactly 1) into best[i], and the
/// sum of the others' exp(v_ij - m_i) into others[i] (1 when two columns lead).
static void leads(const double *row, long columns, int *best, double *others) {
    double rest = 0;
    long ties = 0, arg = 0;
    for (long j = 0; j < columns; j++) {
        int one = row[j] == 1.0;
        ties += one;
        rest += one ? 0 : row[j];
        arg = one ? j : arg;
    }
    *best = (int)arg;
    *others = ties > 1 ? 1 : rest;
}

/// Divides each row by its sum and returns Σ (m_i + log s_i); with `best`, each row's leads first.
static double scale_rows(double *v, long rows, long columns, const double *maxima, double *logSums,
                         int *best, double *others) {
    double total = 0;
    for (long i = 0; i < rows; i++) {
        double *row = v + i * columns;
        double s = 0;
        for (long j = 0; j < columns; j++) s += row[j];
        // Only a row whose exps sum to exactly 1 can lead by more than 37 nats: the others are
        // scanned for that row alone.
        if (best) {
            if (s == 1.0) {
                leads(row, columns, best + i, others + i);
            } else {
                best[i] = 0;
                others[i] = 1;
            }
        }
        double logSum = isfinite(maxima[i]) ? maxima[i] + log(s) : maxima[i];
        double scale = 1 / s;
        for (long j = 0; j < columns; j++) row[j] *= scale;
        if (logSums) logSums[i] = logSum;
        total += logSum;
    }
    return total;
}

#if GMM_HAVE_AVX2_CODE
/// `v[i] = exp(v[i])` for `count` values, four at a time (exp_f64x4), the tail in one padded vector.
__attribute__((target("avx2,fma")))
static void exp_in_place_avx2(double *v, long count) {
    long i = 0;
    for (; i + 4 <= count; i += 4) {
        f64x4 x;
        __builtin_memcpy(&x, v + i, sizeof x);
        x = exp_f64x4(x);
        __builtin_memcpy(v + i, &x, sizeof x);
    }
    if (i < count) {
        f64x4 tail = (f64x4)0.0;
        for (long j = i; j < count; j++) tail[j - i] = v[j];
        tail = exp_f64x4(tail);
        for (long j = i; j < count; j++) v[j] = tail[j - i];
    }
}
#endif

/// `v[i] = exp(v[i])` for `count` values with the C library's exp.
static void exp_in_place_libm(double *v, long count) {
    for (long i = 0; i < count; i++) v[i] = exp(v[i]);
}

double gmm_normalize_rows(double *values, long rows, long columns, double *logSums) {
    return gmm_normalize_rows_leads(values, rows, columns, logSums, 0, 0);
}

double gmm_normalize_rows_leads(double *values, long rows, long columns, double *logSums, int *best, double *others) {
    if (rows <= 0 || columns <= 0) return 0;
    // Row maxima go in a small stack buffer, a block of rows at a time.
    enum { BLOCK = 256 };
    double maxima[BLOCK];
    double total = 0;
    int avx2 = gmm_vector_math_uses_avx2();
    for (long start = 0; start < rows; start += BLOCK) {
        long n = rows - start < BLOCK ? rows - start : BLOCK;
        double *v = values + start * columns;
        subtract_row_maxima(v, n, columns, maxima);
#if GMM_HAVE_AVX2_CODE
        if (avx2) exp_in_place_avx2(v, n * columns); else exp_in_place_libm(v, n * columns);
#else
        (void)avx2;
        exp_in_place_libm(v, n * columns);
#endif
        total += scale_rows(v, n, columns, maxima, logSums ? logSums + start : 0, best ? best + start : 0,
                            best ? others + start : 0);
    }
    return total;
}
