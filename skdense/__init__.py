"""skdense: deep dense neural networks for scikit-learn, in NumPy.

Dropout, L1, L2 and elastic-net penalties, and class weights, in estimators
that are a drop-in superset of scikit-learn's MLP.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

from ._classifier import DenseNetClassifier
from ._display import LossCurveDisplay
from ._persistence import SKOPS_TRUSTED_TYPES, InconsistentVersionWarning
from ._regressor import DenseNetRegressor
from ._tabular import TabularNetClassifier, TabularNetRegressor

__version__ = "0.3.0.dev0"

__all__ = [
    "SKOPS_TRUSTED_TYPES",
    "DenseNetClassifier",
    "DenseNetRegressor",
    "InconsistentVersionWarning",
    "LossCurveDisplay",
    "TabularNetClassifier",
    "TabularNetRegressor",
    "__version__",
]
