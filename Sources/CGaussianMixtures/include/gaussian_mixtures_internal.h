/* Helpers the Swift side of the library needs from C; not part of the installed header. */
#ifndef GAUSSIAN_MIXTURES_INTERNAL_H
#define GAUSSIAN_MIXTURES_INTERNAL_H

#include <stdint.h>

/* A relaxed atomic read of the cancellation flag another thread may write. */
static inline int32_t gm_internal_load_flag(const volatile int32_t *flag) {
    return __atomic_load_n(flag, __ATOMIC_RELAXED);
}

#endif
