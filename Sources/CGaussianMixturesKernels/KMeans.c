// k-means assignment (gmm_nearest_centers[_f32]) and k-means++ seeding (gmm_seed_potentials[_f32],
// gmm_seed_closest[_f32]) over a chunk of rows.
#include "Vectors.h"
#include <math.h>

// No contraction of t * t + sum into a fused multiply-add here: the sums must round as the
// plain loops do, so that the k-means labels do not depend on the processor.
#pragma clang fp contract(off)
#define T double
#define SUFFIX
#include "KMeansTemplate.h"

#define T float
#define SUFFIX _f32
#include "KMeansTemplate.h"
#pragma clang fp contract(on)
