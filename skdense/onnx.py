"""Export skdense models to ONNX, through skl2onnx.

Importing this module registers converters for :class:`DenseNetClassifier`
and :class:`DenseNetRegressor` with skl2onnx, so that ``skl2onnx.to_onnx``
converts them, alone or inside a ``Pipeline``::

    import skdense.onnx  # noqa: F401  (registers the converters)
    from skl2onnx import to_onnx

    onx = to_onnx(model, X[:1].astype(np.float32))

The graph is the plain forward pass (MatMul and Add per layer, then the
activation): dropout is absent, as it is from every prediction but the
Monte-Carlo ones, so a model fitted with ``keep_prob < 1`` exports the same
graph as one without.

- The classifier reuses skl2onnx's own ``MLPClassifier`` converter: our fitted
  attributes are MLPClassifier's, and so are the outputs (``output_label``
  and ``output_probability`` once ``to_onnx`` names them, with the ``zipmap``
  option), handed the hidden activation the model was trained with
  (``hidden_activation_``). Multilabel targets have a converter of our own:
  skl2onnx thresholds them with ``ai.onnx.ml``'s Binarizer, which onnxruntime
  does not implement for doubles; ours uses Greater and Cast, and its label
  output has shape ``(N, n_labels)``.
- The regressor has a converter of its own: skl2onnx's MLPRegressor
  converter knows neither the Poisson loss's ``exp`` output nor several
  targets (it reshapes every output to one column). Its ``variable`` output
  has shape ``(N, n_outputs)``.

Needs the optional dependencies: ``pip install "skdense[onnx]"``.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import copy

try:
    from skl2onnx import update_registered_converter
    from skl2onnx.common._apply_operation import apply_add, apply_cast
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        guess_proto_type,
    )
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )
    from skl2onnx.operator_converters.multilayer_perceptron import (
        convert_sklearn_mlp_classifier,
    )
    from skl2onnx.proto import onnx_proto
except ImportError as error:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "skdense.onnx needs skl2onnx, onnx and onnxruntime: install them with "
        'pip install "skdense[onnx]".'
    ) from error

# skl2onnx's default parsers, wrapped below so that an unfitted model fails
# with scikit-learn's NotFittedError before skl2onnx reads its attributes.
from skl2onnx._parse import _parse_sklearn_classifier, _parse_sklearn_simple_model
from sklearn.utils.validation import check_is_fitted

from ._classifier import DenseNetClassifier
from ._regressor import DenseNetRegressor

__all__ = ["CLASSIFIER_ALIAS", "REGRESSOR_ALIAS"]

#: Names of the skdense operators in skl2onnx's registry.
CLASSIFIER_ALIAS = "SkdenseDenseNetClassifier"
REGRESSOR_ALIAS = "SkdenseDenseNetRegressor"

_ONNX_ACTIVATIONS = {
    "identity": "Identity",
    "logistic": "Sigmoid",
    "tanh": "Tanh",
    "relu": "Relu",
    "softmax": "Softmax",
    "exp": "Exp",
}


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    check_is_fitted(model)
    return _parse_sklearn_classifier(scope, model, inputs, custom_parsers)


def _parse_regressor(scope, model, inputs, custom_parsers=None):
    check_is_fitted(model)
    return _parse_sklearn_simple_model(scope, model, inputs, custom_parsers)


def _classifier_shapes(operator):
    model = operator.raw_operator
    calculate_linear_classifier_output_shapes(operator)
    if model._label_binarizer.y_type_ == "multilabel-indicator":
        n_rows = operator.inputs[0].get_first_dimension()
        operator.outputs[0].set_type(Int64TensorType([n_rows, model.n_outputs_]))


def _regressor_shapes(operator):
    model = operator.raw_operator
    input_type = operator.inputs[0].type
    tensor = type(input_type) if isinstance(input_type, DoubleTensorType) else None
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].set_type(
        (tensor or FloatTensorType)([n_rows, model.n_outputs_])
    )


def _convert_classifier(scope, operator, container):
    model = operator.raw_operator
    if model._label_binarizer.y_type_ != "multilabel-indicator":
        # skl2onnx's converter reads ``activation``: give it the activation the
        # model was trained with, whatever set_params said since.
        operator.raw_operator = copy.copy(model)
        operator.raw_operator.activation = model.hidden_activation_
        try:
            convert_sklearn_mlp_classifier(scope, operator, container)
        finally:
            operator.raw_operator = model
        return
    # skl2onnx thresholds multilabel outputs with ai.onnx.ml's Binarizer, which
    # onnxruntime lacks for doubles: Greater and Cast serve every dtype.
    proba = operator.outputs[1].full_name
    proto_dtype = _forward_pass(scope, operator, container, proba)
    half = scope.get_unique_variable_name("half")
    above = scope.get_unique_variable_name("above_half")
    container.add_initializer(half, proto_dtype, [], [0.5])
    container.add_node("Greater", [proba, half], above)
    apply_cast(
        scope,
        above,
        operator.outputs[0].full_name,
        container,
        to=onnx_proto.TensorProto.INT64,
    )


def _convert_regressor(scope, operator, container):
    _forward_pass(scope, operator, container, operator.outputs[0].full_name)


def _forward_pass(scope, operator, container, output_name):
    """The network's outputs for the operator's input, written to
    ``output_name``; returns the ONNX dtype computed in (float or double)."""
    model = operator.raw_operator
    proto_dtype = guess_proto_type(operator.inputs[0].type)
    if proto_dtype != onnx_proto.TensorProto.DOUBLE:
        proto_dtype = onnx_proto.TensorProto.FLOAT
    values = scope.get_unique_variable_name("cast_input")
    apply_cast(scope, operator.inputs[0].full_name, values, container, to=proto_dtype)
    n_layers = len(model.coefs_)
    for layer, (coef, intercept) in enumerate(zip(model.coefs_, model.intercepts_)):
        last = layer == n_layers - 1
        values = _dense_layer(scope, container, values, coef, intercept, proto_dtype)
        activation = model.out_activation_ if last else model.hidden_activation_
        output = output_name if last else scope.get_unique_variable_name("activations")
        container.add_node(
            _ONNX_ACTIVATIONS[activation],
            values,
            output,
            name=scope.get_unique_operator_name(_ONNX_ACTIVATIONS[activation]),
        )
        values = output
    return proto_dtype


def _dense_layer(scope, container, inputs, coef, intercept, proto_dtype):
    """``inputs @ coef + intercept`` as MatMul and Add nodes; returns its name."""
    coef_name = scope.get_unique_variable_name("coefficient")
    intercept_name = scope.get_unique_variable_name("intercepts")
    product = scope.get_unique_variable_name("mul_result")
    total = scope.get_unique_variable_name("add_result")
    container.add_initializer(coef_name, proto_dtype, coef.shape, coef.ravel())
    container.add_initializer(
        intercept_name, proto_dtype, [1, len(intercept)], intercept
    )
    container.add_node(
        "MatMul",
        [inputs, coef_name],
        product,
        name=scope.get_unique_operator_name("MatMul"),
    )
    apply_add(scope, [product, intercept_name], total, container, broadcast=1)
    return total


update_registered_converter(
    DenseNetClassifier,
    CLASSIFIER_ALIAS,
    _classifier_shapes,
    _convert_classifier,
    parser=_parse_classifier,
    options={
        "zipmap": [True, False, "columns"],
        "output_class_labels": [False, True],
        "nocl": [True, False],
    },
)
update_registered_converter(
    DenseNetRegressor,
    REGRESSOR_ALIAS,
    _regressor_shapes,
    _convert_regressor,
    parser=_parse_regressor,
)
