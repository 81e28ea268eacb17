// Internal to the target: the vector types, the AVX2 and AVX-512 target attributes and exp over vectors,
// shared by the kernel files. Not part of the public header.
#ifndef C_GAUSSIAN_MIXTURES_KERNELS_VECTORS_H
#define C_GAUSSIAN_MIXTURES_KERNELS_VECTORS_H

#include "CGaussianMixturesKernels.h"

#if defined(__x86_64__)
/// 1 when this build holds AVX2 and FMA code (chosen at run time by gmm_vector_math_uses_avx2).
#define GMM_HAVE_AVX2_CODE 1
/// Compiles a function for AVX2 and FMA; a function it calls inlined (always_inline) gets the
/// same instructions.
#define GMM_AVX2_TARGET __attribute__((target("avx2,fma")))
/// The same for AVX-512 (F) code (chosen at run time by gmm_vector_math_uses_avx512).
#define GMM_AVX512_TARGET __attribute__((target("avx512f,avx2,fma")))
#else
#define GMM_AVX2_TARGET
#define GMM_AVX512_TARGET
#endif

/// Joins two names after expanding them (`GMM_JOIN(f, _f32)` is `f_f32`; an empty second
/// argument gives the first): the templates name their functions with it.
#define GMM_JOIN(a, b) GMM_JOIN_EXPANDED(a, b)
#define GMM_JOIN_EXPANDED(a, b) a##b

typedef double f64x4 __attribute__((ext_vector_type(4)));
typedef float f32x4 __attribute__((ext_vector_type(4)));
typedef float f32x8 __attribute__((ext_vector_type(8)));
typedef int i32x4 __attribute__((ext_vector_type(4)));
typedef int i32x8 __attribute__((ext_vector_type(8)));
typedef long i64x4 __attribute__((ext_vector_type(4)));
typedef double f64x8 __attribute__((ext_vector_type(8)));
typedef float f32x16 __attribute__((ext_vector_type(16)));
typedef long i64x8 __attribute__((ext_vector_type(8)));

_Static_assert(sizeof(f64x4) == GMM_FUSED_LANES_F64 * sizeof(double), "an f64x4 is one AVX2 vector of doubles");
_Static_assert(sizeof(f32x8) == GMM_FUSED_LANES_F32 * sizeof(float), "an f32x8 is one AVX2 vector of floats");
_Static_assert(sizeof(f64x8) == GMM_FUSED_LANES_F64_AVX512 * sizeof(double), "an f64x8 is one AVX-512 vector of doubles");

#if GMM_HAVE_AVX2_CODE
/// The coefficients of exp's series, highest degree first: 1/13! ... 1/2, 1, 1.
static const double gmm_exp_coefficients[] = {
    1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
    1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};

/// exp over a vector of doubles `V` (`IV` its lanes as 64-bit integers, `NV` as 32-bit ones), one
/// definition for both widths so that they agree lane for lane: x = n ln2 + r with |r| <= ln2/2
/// (Cody-Waite split of ln2, so n ln2 is exact), e^r by its Taylor series to degree 13
/// (truncation below 1e-19), times 2^n built in the exponent bits. Inputs below -708 give 0 (the
/// E-step feeds only values <= 0). The terms from r⁴ on are by Estrin's scheme (independent
/// products, not one chain of 13 dependent FMAs), the first four by Horner's, which sets the
/// accuracy as the full Horner chain did (within 1 unit of roundoff on |r| <= ln2/2); exp(0) is
/// exactly 1.
#define GMM_EXP_F64(V, IV, NV)                                                                                       \
    {                                                                                                                \
        IV underflow = x < -708.0;                                                                                   \
        x = __builtin_elementwise_min(__builtin_elementwise_max(x, (V)-708.0), (V)709.0);                           \
        V n = __builtin_elementwise_rint(x * 1.4426950408889634074);                                                 \
        V r = __builtin_elementwise_fma(-n, (V)6.93147180369123816490e-01, x);                                       \
        r = __builtin_elementwise_fma(-n, (V)1.90821492927058770002e-10, r);                                         \
        V r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;                                                                    \
        V q0 = __builtin_elementwise_fma(GMM_EXP_A(V, 5), r, GMM_EXP_A(V, 4));                                       \
        V q1 = __builtin_elementwise_fma(GMM_EXP_A(V, 7), r, GMM_EXP_A(V, 6));                                       \
        V q2 = __builtin_elementwise_fma(GMM_EXP_A(V, 9), r, GMM_EXP_A(V, 8));                                       \
        V q3 = __builtin_elementwise_fma(GMM_EXP_A(V, 11), r, GMM_EXP_A(V, 10));                                     \
        V q4 = __builtin_elementwise_fma(GMM_EXP_A(V, 13), r, GMM_EXP_A(V, 12));                                     \
        V high = __builtin_elementwise_fma(__builtin_elementwise_fma(q3, r2, q2), r4,                                \
                                           __builtin_elementwise_fma(q1, r2, q0));                                   \
        V p = __builtin_elementwise_fma(q4, r8, high);                                                               \
        for (int i = 3; i >= 0; i--) p = __builtin_elementwise_fma(p, r, GMM_EXP_A(V, i));                           \
        IV e = (__builtin_convertvector(__builtin_convertvector(n, NV), IV) + 1023) << 52;                           \
        V result = p * (V)e;                                                                                         \
        return (V)((IV)result & ~underflow);                                                                         \
    }
/// The series' coefficient of r^i.
#define GMM_EXP_A(V, i) ((V)gmm_exp_coefficients[13 - (i)])

/// exp(x) for four doubles (AVX2), by GMM_EXP_F64.
GMM_AVX2_TARGET
static inline f64x4 exp_f64x4(f64x4 x) GMM_EXP_F64(f64x4, i64x4, i32x4)

/// exp(x) for eight doubles (AVX-512), by GMM_EXP_F64: exp_f64x4's bits, lane for lane.
GMM_AVX512_TARGET
static inline f64x8 exp_f64x8(f64x8 x) GMM_EXP_F64(f64x8, i64x8, i32x8)

/// exp(x) for eight floats, as exp_f64x4 with a degree-7 series (truncation below 1e-8
/// relative, under half a float ulp); inputs below -87 give 0.
__attribute__((target("avx2,fma")))
static inline f32x8 exp_f32x8(f32x8 x) {
    i32x8 underflow = x < -87.0f;
    x = __builtin_elementwise_min(__builtin_elementwise_max(x, (f32x8)-87.0f), (f32x8)88.0f);
    f32x8 n = __builtin_elementwise_rint(x * 1.44269504f);
    f32x8 r = __builtin_elementwise_fma(-n, (f32x8)0.693359375f, x);
    r = __builtin_elementwise_fma(-n, (f32x8)-2.12194440e-4f, r);
    static const float coefficients[] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};
    f32x8 p = (f32x8)coefficients[0];
    for (int i = 1; i < 8; i++) p = __builtin_elementwise_fma(p, r, (f32x8)coefficients[i]);
    i32x8 e = (__builtin_convertvector(n, i32x8) + 127) << 23;
    f32x8 result = p * (f32x8)e;
    return (f32x8)((i32x8)result & ~underflow);
}
#endif

#endif
