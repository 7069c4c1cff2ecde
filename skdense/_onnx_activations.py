"""ONNX nodes for every activation, hidden and output.

Each row of ``ONNX_ACTIVATIONS`` adds the nodes computing one activation of a
tensor to an skl2onnx container, with the opset's own operator where one
exists. The gaps of onnxruntime (1.32) shape the rest:

- it has no double kernel for ``LeakyRelu``, ``Elu`` and ``Softplus`` at
  opset 21 and later, so double graphs spell them out with ``Where``,
  ``Exp`` and ``Log``;
- ONNX's ``Softplus`` has no threshold, so ``Where`` returns ``z`` above
  PyTorch's threshold of 20, as training does;
- it has ``Gelu`` (opset 20) and ``Erf`` for floats only, so a double graph
  computes ``erf`` as piecewise Chebyshev series fitted here to SciPy's
  ``erf`` (within 5e-15 on every piece; ``erf`` is 1 in double beyond 6).
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numpy.polynomial import chebyshev
from scipy.special import erf
from skl2onnx.proto import onnx_proto

from ._activations import (
    LEAKY_RELU_SLOPE,
    SELU_ALPHA,
    SELU_SCALE,
    SOFTPLUS_THRESHOLD,
)
from ._losses import VARIANCE_FLOOR

_ERF_PIECES = 6  # unit-wide pieces of [0, 6]
# Measured worst error: 1.3e-15 (NumPy 2.4, SciPy 1.17) and 2.1e-15 (NumPy
# 1.24, SciPy 1.11); no better above 16, where the sum's rounding dominates.
_ERF_DEGREE = 16
_GELU_OPSET = 20
_MISH_OPSET = 18


class Graph:
    """The scope, container and dtype that new nodes go into."""

    def __init__(self, scope, container, proto_dtype):
        self.scope = scope
        self.container = container
        self.proto_dtype = proto_dtype

    def node(self, op_type, inputs, output=None, **attributes):
        """Add one ``op_type`` node; returns its output's name."""
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type,
            inputs,
            output,
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output

    def constant(self, value, proto_dtype=None):
        """An initializer holding ``value``; returns its name."""
        value = np.asarray(value)
        name = self.scope.get_unique_variable_name("constant")
        self.container.add_initializer(
            name, proto_dtype or self.proto_dtype, value.shape, value.ravel().tolist()
        )
        return name


def _operator(op_type, **attributes):
    def add(graph, values, output):
        graph.node(op_type, [values], output, **attributes)

    return add


def _float_or_decomposed(op_type, decomposition, **attributes):
    """The opset's ``op_type`` for floats; ``decomposition`` for doubles."""

    def add(graph, values, output):
        if graph.proto_dtype == onnx_proto.TensorProto.DOUBLE:
            decomposition(graph, values, output)
        else:
            graph.node(op_type, [values], output, **attributes)

    return add


def _positive_or(graph, values, negative, output, positive=None):
    """``positive`` (``values`` by default) where ``values`` is positive, else
    ``negative``: PyTorch's ``z > 0`` test."""
    above = graph.node("Greater", [values, graph.constant(0.0)])
    graph.node("Where", [above, positive or values, negative], output)


def _leaky_relu_decomposed(graph, values, output):
    scaled = graph.node("Mul", [values, graph.constant(LEAKY_RELU_SLOPE)])
    _positive_or(graph, values, scaled, output)


def _elu_decomposed(graph, values, output):
    shifted = graph.node("Sub", [graph.node("Exp", [values]), graph.constant(1.0)])
    _positive_or(graph, values, shifted, output)


def _softplus_decomposed(graph, values, output):
    capped = graph.node("Min", [values, graph.constant(SOFTPLUS_THRESHOLD)])
    exp = graph.node("Exp", [capped])
    graph.node("Log", [graph.node("Add", [exp, graph.constant(1.0)])], output)


def _selu_decomposed(graph, values, output):
    # torch: scale * z above 0, (exp(z) - 1) * (alpha * scale) below.
    shifted = graph.node("Sub", [graph.node("Exp", [values]), graph.constant(1.0)])
    below = graph.node("Mul", [shifted, graph.constant(SELU_ALPHA * SELU_SCALE)])
    above = graph.node("Mul", [values, graph.constant(SELU_SCALE)])
    _positive_or(graph, values, below, output, positive=above)


def _mish(graph, values, output):
    """``z * tanh(softplus(z))``: the opset's Mish for floats from opset 18,
    spelled out otherwise (onnxruntime has no double Mish)."""
    double = graph.proto_dtype == onnx_proto.TensorProto.DOUBLE
    if not double and graph.container.target_opset >= _MISH_OPSET:
        graph.node("Mish", [values], output)
        return
    softplus = graph.scope.get_unique_variable_name("softplus")
    _softplus(graph, values, softplus)
    graph.node("Mul", [values, graph.node("Tanh", [softplus])], output)


def _silu(graph, values, output):
    graph.node("Mul", [values, graph.node("Sigmoid", [values])], output)


def _softplus(graph, values, output):
    above = graph.node("Greater", [values, graph.constant(SOFTPLUS_THRESHOLD)])
    below = graph.scope.get_unique_variable_name("softplus")
    _float_or_decomposed("Softplus", _softplus_decomposed)(graph, values, below)
    graph.node("Where", [above, values, below], output)


def _gelu(graph, values, output):
    double = graph.proto_dtype == onnx_proto.TensorProto.DOUBLE
    if not double and graph.container.target_opset >= _GELU_OPSET:
        graph.node("Gelu", [values], output, approximate="none")
        return
    scaled = graph.node("Mul", [values, graph.constant(np.sqrt(0.5))])
    error = _chebyshev_erf(graph, scaled) if double else graph.node("Erf", [scaled])
    cdf = graph.node("Add", [error, graph.constant(1.0)])
    cdf = graph.node("Mul", [cdf, graph.constant(0.5)])
    graph.node("Mul", [values, cdf], output)


def erf_pieces():
    """Chebyshev coefficients of ``erf`` on ``[k, k + 1]``, one row per ``k``."""
    n_nodes = 8 * _ERF_DEGREE
    nodes = np.cos(np.pi * (np.arange(n_nodes) + 0.5) / n_nodes)
    return np.array(
        [
            chebyshev.chebfit(nodes, erf(k + (nodes + 1) / 2), _ERF_DEGREE)
            for k in range(_ERF_PIECES)
        ]
    )


def _chebyshev_erf(graph, values):
    """``erf(values)``: the piece of ``|values|`` picked per element by Gather,
    its series summed by Clenshaw's recurrence."""
    magnitude = graph.node("Abs", [values])
    magnitude = graph.node("Min", [magnitude, graph.constant(float(_ERF_PIECES))])
    piece = graph.node("Floor", [magnitude])
    piece = graph.node("Min", [piece, graph.constant(_ERF_PIECES - 1.0)])
    t = graph.node("Sub", [magnitude, piece])
    t = graph.node("Sub", [graph.node("Add", [t, t]), graph.constant(1.0)])
    two_t = graph.node("Add", [t, t])
    index = graph.node("Cast", [piece], to=onnx_proto.TensorProto.INT64)
    pieces = erf_pieces()

    def coefficient(j):
        return graph.node("Gather", [graph.constant(pieces[:, j]), index])

    later, latest = None, None  # b_{j+2}, b_{j+1}
    for j in range(_ERF_DEGREE, 0, -1):
        term = coefficient(j)
        if latest is not None:
            term = graph.node("Add", [term, graph.node("Mul", [two_t, latest])])
        if later is not None:
            term = graph.node("Sub", [term, later])
        later, latest = latest, term
    total = graph.node("Add", [coefficient(0), graph.node("Mul", [t, latest])])
    total = graph.node("Sub", [total, later])
    return graph.node("Mul", [graph.node("Sign", [values]), total])


def split_halves(graph, values):
    """The first and the second half of the columns of ``values``."""
    first, second = (graph.scope.get_unique_variable_name(n) for n in ("a", "b"))
    # Split divides evenly into its outputs; from opset 18 it must be told so.
    even = {"num_outputs": 2} if graph.container.target_opset >= 18 else {}
    graph.container.add_node(
        "Split",
        [values],
        [first, second],
        axis=1,
        name=graph.scope.get_unique_operator_name("Split"),
        **even,
    )
    return first, second


def _log1p(graph, values):
    """``log(1 + values)`` for ``values >= 0``, accurate where ``values`` is
    tiny (ONNX has no Log1p): ``u * log(w) / (w - 1)`` with ``w = 1 + u``
    rounded, ``u`` itself where ``w`` rounds to 1 (Goldberg, 1991). The
    plain ``Log(1 + u)`` loses all but a few bits of a float32 ``u`` near
    1e-6, where the variance floor lives."""
    one = graph.constant(1.0)
    rounded = graph.node("Add", [values, one])
    ratio = graph.node(
        "Div", [graph.node("Log", [rounded]), graph.node("Sub", [rounded, one])]
    )
    ratio = graph.node("Where", [graph.node("Equal", [rounded, one]), one, ratio])
    return graph.node("Mul", [values, ratio])


def _gaussian_output(graph, values, output):
    """Means as they are, then variances ``softplus(z) + floor`` (``_losses``),
    softplus as ``max(z, 0) + log1p(exp(-|z|))``, which never overflows."""
    mean, raw = split_halves(graph, values)
    decay = graph.node("Exp", [graph.node("Neg", [graph.node("Abs", [raw])])])
    tail = _log1p(graph, decay)
    variance = graph.node("Add", [graph.node("Relu", [raw]), tail])
    variance = graph.node("Add", [variance, graph.constant(VARIANCE_FLOOR)])
    graph.node("Concat", [mean, variance], output, axis=1)


ONNX_ACTIVATIONS = {
    "identity": _operator("Identity"),
    "logistic": _operator("Sigmoid"),
    "tanh": _operator("Tanh"),
    "relu": _operator("Relu"),
    "leaky_relu": _float_or_decomposed(
        "LeakyRelu", _leaky_relu_decomposed, alpha=LEAKY_RELU_SLOPE
    ),
    "elu": _float_or_decomposed("Elu", _elu_decomposed, alpha=1.0),
    "gelu": _gelu,
    "silu": _silu,
    "softplus": _softplus,
    "selu": _float_or_decomposed(
        "Selu", _selu_decomposed, alpha=SELU_ALPHA, gamma=SELU_SCALE
    ),
    "mish": _mish,
    "softmax": _operator("Softmax"),
    "exp": _operator("Exp"),
    "quantile": _operator("Identity"),
    "gaussian": _gaussian_output,
}
