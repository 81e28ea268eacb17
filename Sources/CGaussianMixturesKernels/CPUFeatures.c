// Whether this processor runs the AVX2 and FMA code, and the AVX-512 code. The kernels are C
// because Swift cannot compile one function for AVX2 and FMA while keeping the package portable:
// that takes a per-function target attribute, and this run-time check picks the version to call.
#include "Vectors.h"
#include <stdatomic.h>

/// 0: neither; 1: AVX2 and FMA; 2: AVX-512 (F) as well. Asked of the processor once.
static int vector_level(void) {
#if GMM_HAVE_AVX2_CODE
    // Threads may ask at the same time (gmm select fits candidates in parallel), so the cache is
    // atomic; every thread computes the same answer, so whichever stores first does no harm.
    static _Atomic int cached = -1;
    int known = atomic_load_explicit(&cached, memory_order_relaxed);
    if (known < 0) {
        __builtin_cpu_init();
        int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        known = avx2 ? (__builtin_cpu_supports("avx512f") ? 2 : 1) : 0;
        atomic_store_explicit(&cached, known, memory_order_relaxed);
    }
    return known;
#else
    return 0;
#endif
}

int gmm_vector_math_uses_avx2(void) { return vector_level() >= 1; }

int gmm_vector_math_uses_avx512(void) { return vector_level() >= 2; }
