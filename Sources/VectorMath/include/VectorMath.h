#ifndef GAUSSIAN_MIXTURES_VECTOR_MATH_H
#define GAUSSIAN_MIXTURES_VECTOR_MATH_H

/// Turns each row of the row-major `rows x columns` matrix `values` from log-weights into
/// probabilities, in place, with a shifted log-sum-exp:
///
///     m_i = max_j v_ij,   s_i = Σ_j exp(v_ij - m_i),   v_ij <- exp(v_ij - m_i) / s_i
///
/// and writes `m_i + log s_i` (the row's log-sum-exp) to `logSums[i]` when `logSums` is not
/// NULL. Returns `Σ_i (m_i + log s_i)`. The exponentials run four at a time with AVX2 and FMA
/// when the processor has them (chosen once, at the first call), else through the C library's
/// `exp`; both are accurate to a few units in the last place.
double gmm_normalize_rows(double *values, long rows, long columns, double *logSums);

/// The quadratic features of `rows` rows of `x` (row-major, `columns` = D values per row,
/// consecutive rows `stride` values apart), centred on `center`: row n of `z` (M = D(D+1)/2 + D + 1
/// values) is
///
///     [ x̃_i x̃_j for i = 0..<D, j = i..<D | x̃_0 ... x̃_{D-1} | 1 ],   x̃ = x_n - center.
///
/// `scratch` holds D values.
void gmm_quadratic_features(const double *x, long rows, long columns, long stride, const double *center,
                            double *z, double *scratch);

/// 1 when `gmm_normalize_rows` uses its AVX2 code on this processor, else 0.
int gmm_vector_math_uses_avx2(void);

#endif
