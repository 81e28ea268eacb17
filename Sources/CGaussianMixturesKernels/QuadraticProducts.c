// The quadratic road's two products per chunk (gmm_quadratic_log_joint, `Z Θ`, and
// gmm_quadratic_sums, `sums += Wᵀ Z`) in AVX-512 register tiles, over Θ padded once per E-step,
// in float64 (f64x8) and float32 (f32x16: twice the lanes for the same instructions). OpenBLAS
// packs Θ (M x K: half a megabyte at W3's M = 2145, K = 32) and the chunk's features again on
// every call, for chunks of a few dozen rows; these read both where they lie. Every output is one
// chain of FMAs in a fixed order, whatever the tile that computes it.
//
// Each tile is an always_inline function whose row and vector counts are constants at every call,
// so the compiler unrolls it into registers (24 accumulators of the 32 zmm registers); the tails
// call the same function with smaller counts. The bodies are QuadraticProductsTemplate.h, once
// per type.
#include "Vectors.h"
#include <stdlib.h>
#include <string.h>

int gmm_quadratic_products_available(void) { return gmm_vector_math_uses_avx512(); }

/// The log-joint tile: rows of Z by vectors of Θ's columns (6 x 4 vectors = 24 accumulators).
#define LJ_ROWS 6
#define LJ_VECTORS 4
/// The log-joint tile along the features: rows by components (4 x 6 = 24 accumulators).
#define FT_ROWS 4
#define FT_COMPONENTS 6
/// The sums tile: components by vectors of features (8 x 3 vectors = 24 accumulators).
#define SUM_ROWS 8
#define SUM_VECTORS 3

#define T double
#define V f64x8
#define HV f64x4
#define L 8
#define SUFFIX
#define FMA_SUFFIX
#include "QuadraticProductsTemplate.h"

#define T float
#define V f32x16
#define HV f32x8
#define L 16
#define SUFFIX _f32
#define FMA_SUFFIX f
#include "QuadraticProductsTemplate.h"
