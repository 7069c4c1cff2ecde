"""Test configuration shared by every test module."""

import os

# scikit-learn's array-API estimator check runs (on NumPy) only with this set,
# and it must be set before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# Figures are drawn off screen.
os.environ.setdefault("MPLBACKEND", "Agg")
