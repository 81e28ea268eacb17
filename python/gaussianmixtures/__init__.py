"""scikit-learn's GaussianMixture on the Swift engine of libgaussianmixtures.

    from gaussianmixtures import GaussianMixture   # instead of sklearn.mixture
"""

from sklearn.exceptions import ConvergenceWarning, NotFittedError

from ._estimator import GaussianMixture

__all__ = ["GaussianMixture", "ConvergenceWarning", "NotFittedError"]
__version__ = "1.0.0"
