// Shim header for the CLAPACK system-library target: CBLAS and LAPACKE from
// Debian's libopenblas-dev and liblapacke-dev. This is no API of ours; only
// Sources/GaussianMixtures/LAPACK.swift imports it.
#ifndef CLAPACK_SHIM_H
#define CLAPACK_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
