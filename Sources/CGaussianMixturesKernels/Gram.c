// Small Gram matrices (gmm_gram_lower_add[_f32]): the lower triangle of aᵀa of a block of rows,
// added in double; an AVX2 version and a baseline version per scalar type, one chosen at run time.
#include "Vectors.h"

// Each product is rounded, then added: no fused multiply-add, so that the sums do not depend on
// the processor.
#pragma clang fp contract(off)
#define T double
#define SUFFIX
#include "GramTemplate.h"

#define T float
#define SUFFIX _f32
#include "GramTemplate.h"
#pragma clang fp contract(on)
