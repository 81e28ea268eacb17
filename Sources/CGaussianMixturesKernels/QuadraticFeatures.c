// The quadratic features of centred rows (gmm_quadratic_features[_f32]), whose dot products with
// a component's parameters θ_k are its log joint densities: an AVX2 version and a baseline
// version per scalar type, one chosen at run time.
#include "Vectors.h"

long gmm_quadratic_feature_count(long columns, int diagonal) {
    return (diagonal ? columns : columns * (columns + 1) / 2) + columns + 1;
}

#define T double
#define SUFFIX
#include "QuadraticFeaturesTemplate.h"

#define T float
#define SUFFIX _f32
#include "QuadraticFeaturesTemplate.h"
