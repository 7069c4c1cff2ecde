"""Training targets, kept compact and expanded one batch at a time.

scikit-learn's MLP holds classification targets as a dense ``n_samples x
n_classes`` float matrix. Here a class is an integer code per sample (and a
multilabel target its boolean indicator), and each batch's one-hot rows are
written into a reused buffer. A fit's memory beyond ``X`` and the weights is
then a few bytes per sample, whatever the number of classes, and the values
the network sees are the same 0s and 1s, so the weights are the same.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np


class Targets:
    """Targets of a training set, one row (or code) per sample.

    Parameters
    ----------
    values : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Integer class codes (1-D), or the target matrix (2-D: regression
        values, multilabel indicator).
    n_outputs : int
        Number of output units. With 1-D codes, 1 means one logistic unit
        whose target is the code itself (binary); more means one-hot rows.
    """

    def __init__(self, values, n_outputs):
        self.values = values
        self.n_outputs = int(n_outputs)

    def __len__(self):
        return len(self.values)

    @property
    def is_codes(self):
        return self.values.ndim == 1

    def take(self, rows, out):
        """Write the targets of ``rows`` (a slice or indices) into ``out``."""
        values = self.values[rows]
        if not self.is_codes:
            out[...] = values
        elif self.n_outputs == 1:
            out[:, 0] = values
        else:
            out.fill(0)
            out[np.arange(len(values)), values] = 1
        return out

    def dense(self, dtype):
        """All targets as a float matrix (for full-batch solvers)."""
        out = np.empty((len(self), self.n_outputs), dtype=dtype)
        return self.take(slice(None), out)

    def subset(self, rows):
        """Targets of ``rows`` only."""
        return Targets(self.values[rows], self.n_outputs)


def smooth_labels(Y, smoothing, output):
    """Label smoothing in place: ``Y * (1 - smoothing) + smoothing / K``, with
    ``K`` the classes of each target: every column of a softmax, two for each
    logistic unit (binary and multilabel). The smoothed softmax targets still
    sum to 1, so the log loss of the logits keeps its form; this is the
    target of ``torch.nn.CrossEntropyLoss(label_smoothing=smoothing)``."""
    n_classes = Y.shape[1] if output == "softmax" else 2
    Y *= 1 - smoothing
    Y += smoothing / n_classes
    return Y


def class_sample_weights(class_weight, classes, targets, sample_weight, incremental):
    """Per-sample weights: ``class_weight`` of each sample's class, times its
    ``sample_weight`` (None: 1).

    ``class_weight`` is ``'balanced'`` (``n_samples / (n_classes * counts)``,
    counts weighted by ``sample_weight``; not for ``partial_fit``, whose later
    blocks are unknown) or a dict ``{label: weight}``, missing labels weighing 1.
    """
    if not targets.is_codes:
        raise ValueError(
            f"class_weight={class_weight!r} is not supported for multilabel "
            "targets: pass per-sample weights as sample_weight instead."
        )
    per_class = _per_class_weights(
        class_weight, classes, targets.values, sample_weight, incremental
    )
    weights = per_class[targets.values]
    return weights if sample_weight is None else weights * sample_weight


def _per_class_weights(class_weight, classes, codes, sample_weight, incremental):
    if isinstance(class_weight, str):
        if incremental:
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: the "
                "class frequencies of later batches are unknown. Compute the "
                "weights once with sklearn.utils.class_weight."
                "compute_class_weight and pass them as a dict."
            )
        counts = np.bincount(codes, weights=sample_weight, minlength=len(classes))
        return counts.sum() / (len(classes) * np.maximum(counts, 1e-300))
    known = set(classes.tolist())
    unknown = [label for label in class_weight if label not in known]
    if unknown:
        raise ValueError(
            f"class_weight names labels {unknown!r} that are not among the "
            f"classes {list(classes)!r}."
        )
    return np.array([class_weight.get(c, 1.0) for c in classes])


def standardisation(Y, sample_weight=None):
    """Each column's weighted mean and standard deviation, in float64.

    float64 whatever ``Y``'s dtype: in float32 the squares of targets near
    1e20 overflow, and those near 1e-30 underflow. A column whose weighted
    rows are all equal gets a scale of exactly 1 and its value as the mean:
    its computed deviation is rounding error, and dividing by it would blow
    the targets up.
    """
    Y = np.asarray(Y, dtype=np.float64)
    mean = np.average(Y, axis=0, weights=sample_weight)
    scale = np.sqrt(np.average((Y - mean) ** 2, axis=0, weights=sample_weight))
    weighted = Y if sample_weight is None else Y[sample_weight > 0]
    constant = (weighted == weighted[0]).all(axis=0)
    return np.where(constant, weighted[0], mean), np.where(constant, 1.0, scale)
