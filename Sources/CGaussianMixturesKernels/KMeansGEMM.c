// The row-side work of the GEMM k-means assignment (gmm_kmeans_shift_rows[_f32],
// gmm_kmeans_gemm_labels[_f32]); the GEMM itself is the caller's.
#include "Vectors.h"
#include <math.h>

// No fused multiply-adds: the row norms enter a rounding bound derived for separate roundings.
#pragma clang fp contract(off)
#define T double
#define SUFFIX
#include "KMeansGEMMTemplate.h"

#define T float
#define SUFFIX _f32
#include "KMeansGEMMTemplate.h"
#pragma clang fp contract(on)
