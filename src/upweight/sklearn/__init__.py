"""scikit-learn and imbalanced-learn integration.

- :class:`DownsampleUpweight` -- an imbalanced-learn sampler: ``fit_resample`` returns the
  kept rows, and ``sample_weight_`` their weights.
- :class:`DownsampledClassifier` -- a meta-estimator: downsampling, weighting or offset
  correction, and the model in one estimator, for pipelines and grid search.
"""

from ._classifier import DownsampledClassifier
from ._sampler import DownsampleUpweight

__all__ = ["DownsampleUpweight", "DownsampledClassifier"]
