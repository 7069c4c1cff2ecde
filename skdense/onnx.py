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

- The classifier's outputs are those of skl2onnx's ``MLPClassifier``
  converter (``output_label`` and ``output_probability`` once ``to_onnx``
  names them, with the ``zipmap`` option), but the converter is ours: that
  one knows MLP's four activations only, and reads ``activation`` rather than
  the activation the model was trained with (``hidden_activation_``).
  Multilabel labels come from Greater and Cast (skl2onnx's ``ai.onnx.ml``
  Binarizer has no double kernel in onnxruntime), with shape
  ``(N, n_labels)``.
- Every activation uses the opset's own operator where one exists
  (``LeakyRelu``, ``Elu``, ``Softplus``, ``Gelu`` from opset 20 on);
  ``skdense._onnx_activations`` says where onnxruntime forced a
  decomposition.
- The regressor has a converter of its own: skl2onnx's MLPRegressor
  converter knows neither the Poisson loss's ``exp`` output nor several
  targets (it reshapes every output to one column). Its ``variable`` output
  has shape ``(N, n_outputs)``. With ``loss='gaussian_nll'`` a second output,
  ``std``, holds the data's standard deviation (the aleatoric part), times
  the calibration ``std_scale_``: the model's own uncertainty, Monte-Carlo
  dropout's, needs the passes, which only Python runs.

The tabular estimators' graphs begin with their preprocessing (Gather,
IsNaN, Sub, Mul, the smooth clipping's Div and Sqrt, Where for missing
values, Equal and Cast for the one-hot columns): their input is the raw
table as one numeric tensor, NaN for a missing value. A categorical column
with text categories cannot be in that tensor, and is refused at export
with the fix (numeric codes).

Needs the optional dependencies: ``pip install "skdense[onnx]"``.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

try:
    from skl2onnx import update_registered_converter
    from skl2onnx.common._apply_operation import (
        apply_add,
        apply_cast,
        apply_concat,
        apply_reshape,
        apply_sub,
    )
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        guess_proto_type,
        guess_tensor_type,
    )
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )
    from skl2onnx.proto import onnx_proto

    from ._onnx_activations import ONNX_ACTIVATIONS, Graph, split_halves
except ImportError as error:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "skdense.onnx needs skl2onnx, onnx and onnxruntime: install them with "
        'pip install "skdense[onnx]".'
    ) from error

# skl2onnx's default parsers, wrapped below so that an unfitted model fails
# with scikit-learn's NotFittedError before skl2onnx reads its attributes.
from skl2onnx._parse import _parse_sklearn_classifier, _parse_sklearn_simple_model
from sklearn.utils.validation import check_is_fitted

from ._activations import per_hidden_layer
from ._classifier import DenseNetClassifier
from ._preprocessing import piecewise_linear_layout
from ._regressor import DenseNetRegressor
from ._tabular import TabularNetClassifier, TabularNetRegressor

__all__ = [
    "CLASSIFIER_ALIAS",
    "REGRESSOR_ALIAS",
    "TABULAR_CLASSIFIER_ALIAS",
    "TABULAR_REGRESSOR_ALIAS",
]

#: Names of the skdense operators in skl2onnx's registry.
CLASSIFIER_ALIAS = "SkdenseDenseNetClassifier"
REGRESSOR_ALIAS = "SkdenseDenseNetRegressor"
TABULAR_CLASSIFIER_ALIAS = "SkdenseTabularNetClassifier"
TABULAR_REGRESSOR_ALIAS = "SkdenseTabularNetRegressor"


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    check_is_fitted(model)
    zipmap = scope.get_options(model, dict(zipmap=True))["zipmap"]
    multilabel = model._label_binarizer.y_type_ == "multilabel-indicator"
    if zipmap and not multilabel and isinstance(inputs[0].type, DoubleTensorType):
        # onnxruntime's ZipMap takes float probabilities only: the graph would
        # export, then fail to load ("Type 'tensor(double)' ... ZipMap").
        raise ValueError(
            "A float64 classifier's probabilities cannot go through ZipMap, "
            "which onnxruntime runs on float32 only: pass "
            "options={'zipmap': False} to to_onnx for a probability matrix, or "
            "export with float32 input."
        )
    return _parse_sklearn_classifier(scope, model, inputs, custom_parsers)


def _parse_regressor(scope, model, inputs, custom_parsers=None):
    check_is_fitted(model)
    if model.out_activation_ != "gaussian":
        return _parse_sklearn_simple_model(scope, model, inputs, custom_parsers)
    # loss='gaussian_nll': the mean and the data's standard deviation.
    alias = (
        TABULAR_REGRESSOR_ALIAS
        if hasattr(model, "preprocessor_")
        else (REGRESSOR_ALIAS)
    )
    operator = scope.declare_local_operator(alias, model)
    operator.inputs = inputs
    for name in ("variable", "std"):
        output = scope.declare_local_variable(name, guess_tensor_type(inputs[0].type))
        operator.outputs.append(output)
    return operator.outputs


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
    for output in operator.outputs:
        output.set_type((tensor or FloatTensorType)([n_rows, model.n_outputs_]))


def _convert_classifier(scope, operator, container):
    model = operator.raw_operator
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    if model._label_binarizer.y_type_ == "multilabel-indicator":
        proto_dtype = _forward_pass(scope, operator, container, proba)
        half = scope.get_unique_variable_name("half")
        above = scope.get_unique_variable_name("above_half")
        container.add_initializer(half, proto_dtype, [], [0.5])
        container.add_node("Greater", [proba, half], above)
        apply_cast(scope, above, label, container, to=onnx_proto.TensorProto.INT64)
        return
    if len(model.classes_) > 2:
        _forward_pass(scope, operator, container, proba)
    else:  # one logistic output: the positive class's probability
        positive = scope.get_unique_variable_name("positive_class_proba")
        proto_dtype = _forward_pass(scope, operator, container, positive)
        one = scope.get_unique_variable_name("one")
        negative = scope.get_unique_variable_name("negative_class_proba")
        container.add_initializer(one, proto_dtype, [], [1.0])
        apply_sub(scope, [one, positive], negative, container, broadcast=1)
        apply_concat(scope, [negative, positive], proba, container, axis=1)
    _label_of_largest(scope, container, model.classes_, proba, label)


def _label_of_largest(scope, container, classes, proba, label):
    """The class of the largest probability per row, as skl2onnx's MLP
    converter gives it: int64 for numeric classes, strings otherwise."""
    if len(classes) == 1:  # two probability columns, as predict_proba gives
        classes = np.repeat(classes, 2)  # whichever wins, the one class
    if classes.dtype.kind in "biuf":
        class_type, values = onnx_proto.TensorProto.INT64, classes.astype(np.int64)
    else:
        class_type = onnx_proto.TensorProto.STRING
        values = np.array([str(c).encode("utf-8") for c in classes])
    classes_name = scope.get_unique_variable_name("classes")
    container.add_initializer(classes_name, class_type, values.shape, values)
    largest = scope.get_unique_variable_name("argmax_output")
    container.add_node("ArgMax", proba, largest, axis=1)
    picked = scope.get_unique_variable_name("array_feature_extractor_result")
    container.add_node(
        "ArrayFeatureExtractor",
        [classes_name, largest],
        picked,
        op_domain="ai.onnx.ml",
        name=scope.get_unique_operator_name("ArrayFeatureExtractor"),
    )
    apply_reshape(scope, picked, label, container, desired_shape=(-1,))


def _convert_regressor(scope, operator, container):
    model = operator.raw_operator
    if not hasattr(model, "target_mean_"):
        _forward_pass(scope, operator, container, operator.outputs[0].full_name)
        return
    network_output = scope.get_unique_variable_name("network_output")
    proto_dtype = _forward_pass(scope, operator, container, network_output)
    graph = Graph(scope, container, proto_dtype)
    if model.out_activation_ != "gaussian":  # standardised targets
        _in_units(graph, model, network_output, operator.outputs[0].full_name)
        return
    mean, variance = split_halves(graph, network_output)
    _in_units(graph, model, mean, operator.outputs[0].full_name)
    std = graph.node("Sqrt", [variance])
    calibrated = graph.constant(model.target_scale_ * model.std_scale_)
    graph.node("Mul", [std, calibrated], operator.outputs[1].full_name)


def _in_units(graph, model, standardised, output_name):
    """``standardised * target_scale_ + target_mean_`` into ``output_name``."""
    scaled = graph.node("Mul", [standardised, graph.constant(model.target_scale_)])
    graph.node("Add", [scaled, graph.constant(model.target_mean_)], output_name)


def _forward_pass(scope, operator, container, output_name):
    """The network's outputs for the operator's input, written to
    ``output_name``; returns the ONNX dtype computed in (float or double)."""
    model = operator.raw_operator
    proto_dtype = guess_proto_type(operator.inputs[0].type)
    if proto_dtype != onnx_proto.TensorProto.DOUBLE:
        proto_dtype = onnx_proto.TensorProto.FLOAT
    values = scope.get_unique_variable_name("cast_input")
    apply_cast(scope, operator.inputs[0].full_name, values, container, to=proto_dtype)
    graph = Graph(scope, container, proto_dtype)
    if hasattr(model, "preprocessor_"):
        values = _preprocessing(graph, model.preprocessor_, values)
    n_layers = len(model.coefs_)
    hidden = per_hidden_layer(model.hidden_activation_, n_layers - 1)
    activations = [*hidden, model.out_activation_]
    for layer, (coef, intercept) in enumerate(zip(model.coefs_, model.intercepts_)):
        last = layer == n_layers - 1
        values = _dense_layer(scope, container, values, coef, intercept, proto_dtype)
        output = output_name if last else scope.get_unique_variable_name("activations")
        ONNX_ACTIVATIONS[activations[layer]](graph, values, output)
        values = output
    return proto_dtype


def _preprocessing(graph, preprocessor, values):
    """The tabular networks' :class:`TabularPreprocessor` as ONNX nodes, on
    the input's raw columns; returns the name of the network's input."""
    _check_numeric_categories(preprocessor)
    int64 = onnx_proto.TensorProto.INT64
    blocks = []
    numeric = np.flatnonzero(~preprocessor.is_categorical_)
    if numeric.size:
        columns = graph.node("Gather", [values, graph.constant(numeric, int64)], axis=1)
        missing = graph.node("IsNaN", [columns])
        centred = graph.node("Sub", [columns, graph.constant(preprocessor.median_)])
        scaled = graph.node("Mul", [centred, graph.constant(preprocessor.scale_)])
        if preprocessor.numeric_scaling == "robust":  # x / sqrt(1 + (x / c)**2)
            ratio = graph.node("Div", [scaled, graph.constant(preprocessor.clip)])
            square = graph.node("Mul", [ratio, ratio])
            root = graph.node(
                "Sqrt", [graph.node("Add", [square, graph.constant(1.0)])]
            )
            scaled = graph.node("Div", [scaled, root])
        blocks.append(graph.node("Where", [missing, graph.constant(0.0), scaled]))
        flagged = np.flatnonzero(preprocessor.has_missing_indicator_)
        if flagged.size:
            picked = graph.constant(flagged, int64)
            indicators = graph.node("Gather", [missing, picked], axis=1)
            blocks.append(graph.node("Cast", [indicators], to=graph.proto_dtype))
        bins, lows, widths = piecewise_linear_layout(preprocessor.bin_edges_)
        if bins.size:  # clip((x - low) / width, 0, 1), x imputed by the centre
            centre = graph.constant(preprocessor.median_)
            imputed = graph.node("Where", [missing, centre, columns])
            repeated = graph.node(
                "Gather", [imputed, graph.constant(bins, int64)], axis=1
            )
            shifted = graph.node("Sub", [repeated, graph.constant(lows)])
            ratio = graph.node("Div", [shifted, graph.constant(widths)])
            floor = graph.node("Max", [ratio, graph.constant(0.0)])
            blocks.append(graph.node("Min", [floor, graph.constant(1.0)]))
    categorical = np.flatnonzero(preprocessor.is_categorical_)
    for index, categories in zip(categorical, preprocessor.categories_):
        column = graph.node("Gather", [values, graph.constant([index], int64)], axis=1)
        known = graph.constant(np.asarray(categories, dtype=float)[None, :])
        equal = graph.node("Equal", [column, known])
        blocks.append(graph.node("Cast", [equal], to=graph.proto_dtype))
    return graph.node("Concat", blocks, axis=1)


def _check_numeric_categories(preprocessor):
    """Refuse text categories: the graph's input is one numeric tensor."""
    for index, categories in zip(
        np.flatnonzero(preprocessor.is_categorical_), preprocessor.categories_
    ):
        try:
            np.asarray(categories, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                f"Column {index} is categorical with text categories (such as "
                f"{categories[0]!r}); the ONNX graph takes one numeric tensor, "
                "so it can one-hot encode numeric categories only. Encode the "
                "categories as numbers (for example with OrdinalEncoder) "
                "before fitting to export the model."
            ) from None


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


for _classifier, _alias in [
    (DenseNetClassifier, CLASSIFIER_ALIAS),
    (TabularNetClassifier, TABULAR_CLASSIFIER_ALIAS),
]:
    update_registered_converter(
        _classifier,
        _alias,
        _classifier_shapes,
        _convert_classifier,
        parser=_parse_classifier,
        options={
            "zipmap": [True, False, "columns"],
            "output_class_labels": [False, True],
            "nocl": [True, False],
        },
    )
for _regressor, _alias in [
    (DenseNetRegressor, REGRESSOR_ALIAS),
    (TabularNetRegressor, TABULAR_REGRESSOR_ALIAS),
]:
    update_registered_converter(
        _regressor,
        _alias,
        _regressor_shapes,
        _convert_regressor,
        parser=_parse_regressor,
    )
