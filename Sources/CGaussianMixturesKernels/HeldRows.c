// The pruned E-step's held rows (gmm_held_rows[_f32]): each row's one component's log joint
// density θ_b · z(x) and its sums w z(x), with z built in place (or, for wide rows, never built);
// an AVX2 version and a baseline version per scalar type, one chosen at run time.
#include "Vectors.h"

/// Past this many features a held row's z is not written (see the wide-row branch).
#define GMM_HELD_WIDE_FEATURES 48

#define T double
#define SUFFIX
#include "HeldRowsTemplate.h"

#define T float
#define SUFFIX _f32
#include "HeldRowsTemplate.h"
