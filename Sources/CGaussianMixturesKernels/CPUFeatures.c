// Whether this processor runs the AVX2 and FMA code (and the AVX-512 code). The kernels are C because Swift cannot
// compile one function for AVX2 and FMA while keeping the package portable: that takes a
// per-function target attribute, and this run-time check picks the version to call.
#include "Vectors.h"
#include <stdatomic.h>

int gmm_vector_math_uses_avx2(void) {
#if GMM_HAVE_AVX2_CODE
    // Threads may ask at the same time (gmm select fits candidates in parallel), so the cache is
    // atomic; every thread computes the same answer, so whichever stores first does no harm.
    static _Atomic int cached = -1;
    int known = atomic_load_explicit(&cached, memory_order_relaxed);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        atomic_store_explicit(&cached, known, memory_order_relaxed);
    }
    return known;
#else
    return 0;
#endif
}

int gmm_vector_math_uses_avx512(void) {
#if GMM_HAVE_AVX2_CODE
    static _Atomic int cached = -1;
    int known = atomic_load_explicit(&cached, memory_order_relaxed);
    if (known < 0) {
        __builtin_cpu_init();
        known = gmm_vector_math_uses_avx2() && __builtin_cpu_supports("avx512f");
        atomic_store_explicit(&cached, known, memory_order_relaxed);
    }
    return known;
#else
    return 0;
#endif
}
