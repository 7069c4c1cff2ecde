"""Work arrays reused from batch to batch."""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np


class Buffers:
    """Named arrays allocated once at their largest size, sliced to each use.

    ``get(name, n_rows, *rest, dtype=...)`` returns an array of shape
    ``(n_rows, *rest)``: a view of the first rows of the stored array, which is
    reallocated only when a call asks for more rows or another shape or dtype.
    The views are C-contiguous, so they can receive ``out=`` results.
    """

    def __init__(self):
        self._arrays = {}

    def get(self, name, n_rows, *rest, dtype):
        array = self._arrays.get(name)
        if (
            array is None
            or array.shape[0] < n_rows
            or array.shape[1:] != rest
            or array.dtype != dtype
        ):
            array = np.empty((n_rows, *rest), dtype=dtype)
            self._arrays[name] = array
        return array[:n_rows]
