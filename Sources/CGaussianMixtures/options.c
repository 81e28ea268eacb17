#include "gaussian_mixtures.h"

#include <string.h>

void gm_options_init(gm_options *options) {
    if (options == NULL) return;
    memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->n_components = 1;
    options->covariance_type = GM_COVARIANCE_FULL;
    options->tol = 1e-3;
    options->reg_covar = 1e-6;
    options->max_iter = 100;
    options->n_init = 1;
    options->init_params = GM_INIT_KMEANS;
}

const char *gm_version(void) { return "1.0"; }
