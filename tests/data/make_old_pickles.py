"""Make the pickles of released skdense versions that test_persistence loads.

Run it with the old code first on the path, in an environment of that time
(the pickles committed here: NumPy 1.24.1, SciPy 1.11.1, scikit-learn 1.7.0,
Python 3.11), e.g. from a checkout of the 0.1.0 commit::

    git worktree add /tmp/old 202d818
    cd /tmp/old && python /path/to/tests/data/make_old_pickles.py OUT.pkl

The files are named by version and commit: 202d818 is 0.1.0 as released,
27da65f an earlier 0.1.0 (before input_keep_prob), e70f586 0.2.0.

Each pickle holds small fitted models of both estimators, the rows they were
asked about and what they predicted then.
"""

import pickle
import sys
import warnings

import numpy as np
from sklearn.datasets import make_classification, make_regression


def main(path):
    sys.path.insert(0, ".")  # the old checkout's skdense
    import skdense
    from skdense import DenseNetClassifier, DenseNetRegressor

    X, y = make_classification(
        n_samples=80, n_features=5, n_classes=3, n_informative=3, random_state=0
    )
    X_reg, y_reg = make_regression(n_samples=80, n_features=5, random_state=0)
    y_reg = y_reg / 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classifier = DenseNetClassifier(
            (8,), keep_prob=0.8, max_iter=5, random_state=0
        ).fit(X, np.array(["ant", "bee", "cat"])[y])
        regressor = DenseNetRegressor(
            hidden_layer_sizes=(8,), solver="sgd", max_iter=5, random_state=0
        ).fit(X_reg, y_reg)
    payload = {
        "version": skdense.__version__,
        "classifier": classifier,
        "regressor": regressor,
        "X": X,
        "y": y,
        "X_reg": X_reg,
        "y_reg": y_reg,
        "proba": classifier.predict_proba(X),
        "labels": classifier.predict(X),
        "regression": regressor.predict(X_reg),
    }
    if "variance_power" in DenseNetRegressor().get_params():  # 0.2 and later
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gaussian = DenseNetRegressor(
                loss="gaussian_nll", hidden_layer_sizes=(8,), max_iter=5
            ).fit(X_reg, y_reg)
        payload["gaussian"] = gaussian
        payload["gaussian_mean_std"] = gaussian.predict(X_reg, return_std=True)
    with open(path, "wb") as file:
        pickle.dump(payload, file, protocol=4)


if __name__ == "__main__":
    main(sys.argv[1])
