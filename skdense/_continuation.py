"""What a continued fit must keep: the shape of the network it trains on.

``warm_start=True`` and ``partial_fit`` train the fitted weights further. The
number of features, the hidden layers, the hidden activations, the number of
targets and the output layer (the loss) define what those weights mean; a
call that would change any of them is refused, naming the parameter, before
anything is computed. Otherwise a change that keeps the number of output
units (a Gaussian on one target, then the squared error on two) would train
on silently, into a model that predicts nonsense.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

from ._activations import per_hidden_layer


def network_changes(estimator, network):
    """What ``network`` changes of the fitted ``estimator``'s network, one
    sentence per change (none: the fit may continue)."""
    changes = []
    fitted_hidden = [coef.shape[1] for coef in estimator.coefs_[:-1]]
    hidden = network.layer_sizes[1:-1]
    if fitted_hidden != hidden:
        changes.append(
            f"hidden_layer_sizes gives hidden layers of {hidden} units, the "
            f"model's have {fitted_hidden}"
        )
    if estimator.n_outputs_ != network.n_targets:
        changes.append(
            f"y has {network.n_targets} target(s) or label(s), the model was "
            f"trained on {estimator.n_outputs_}"
        )
    if estimator.out_activation_ != network.output:
        given = estimator._shape_parameter(network.output)
        fitted = estimator._shape_parameter(estimator.out_activation_)
        changes.append(f"{given} gives another output layer than the model's {fitted}")
    # Weights set by hand (as scikit-learn's own MLP tests do) say nothing of
    # their activation: any continues them.
    fitted = getattr(estimator, "hidden_activation_", network.activation)
    fitted_activations = per_hidden_layer(fitted, len(fitted_hidden))
    if len(fitted_hidden) == len(hidden) and (
        list(fitted_activations) != list(network.hidden_activations)
    ):
        changes.append(
            f"activation={network.activation!r}, the model was trained with "
            f"activation={fitted!r}"
        )
    return changes


def check_continues(estimator, network):
    """Refuse to continue training ``estimator`` on ``network`` if that
    changes what shapes it (see :func:`network_changes`)."""
    changes = network_changes(estimator, network)
    if changes:
        raise ValueError(
            "Cannot continue training (warm_start=True or partial_fit): "
            + "; ".join(changes)
            + ". What shapes the network changes only in a fresh fit: call fit "
            "with warm_start=False."
        )
