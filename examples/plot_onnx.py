"""
=================================
Serving a skdense model with ONNX
=================================

Train a pipeline, export it to ONNX with skl2onnx, load it in onnxruntime and
check that both give the same predictions. Then compare the time one
prediction takes: for a single row, ONNX Runtime skips scikit-learn's input
validation and answers much sooner.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import time

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdense.onnx  # noqa: F401  (registers the converters with skl2onnx)
from skdense import DenseNetClassifier

X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

model = make_pipeline(
    StandardScaler(),
    DenseNetClassifier(hidden_layer_sizes=(64,), keep_prob=0.8, random_state=0),
).fit(X_train, y_train)

# %%
# Export and load
# ---------------
# ``zipmap=False`` returns the probabilities as a matrix rather than a list of
# dictionaries. Dropout is not part of the graph: prediction uses the whole
# network.

onx = to_onnx(model, X_train[:1], options={"zipmap": False})
session = ort.InferenceSession(
    onx.SerializeToString(), providers=["CPUExecutionProvider"]
)
input_name = session.get_inputs()[0].name
labels, probabilities = session.run(None, {input_name: X_test})

print("nodes:", [node.op_type for node in onx.graph.node])
print("labels equal:", np.array_equal(labels, model.predict(X_test)))
error = np.abs(probabilities - model.predict_proba(X_test)).max()
print(f"largest probability difference: {error:.1e}")

# %%
# One row at a time
# -----------------


def median_seconds(function, repeats=200):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


row = X_test[:1]
latency = {
    "skdense\npredict_proba": median_seconds(lambda: model.predict_proba(row)),
    "onnxruntime": median_seconds(lambda: session.run(None, {input_name: row})),
}
for name, seconds in latency.items():
    print(f"{name.replace(chr(10), ' ')}: {seconds * 1e6:.0f} us per row")

fig, ax = plt.subplots(figsize=(5, 3))
ax.barh(list(latency), [s * 1e6 for s in latency.values()], color=["C0", "C1"])
ax.set(xlabel="microseconds for one row (median)", title="Latency of one prediction")
fig.tight_layout()
plt.show()
