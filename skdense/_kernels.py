"""Which kernels run the element-wise passes of training: NumPy's or numba's.

NumPy's are the reference and the only ones without the ``skdense[numba]``
extra. With it, the fused kernels of :mod:`skdense._fused` take the Adam and
AdamW step (with the gradient's L2 part and its division by the batch's
weight), the relu and GELU layers with their dropout masks, the masks
themselves and the rows' keys they hash, and the backward passes through
them. They give the same bits as
NumPy's, so the choice changes the speed of a fit, never its result.

``SKDENSE_KERNELS`` chooses: ``numpy``, ``numba`` (an error without numba),
or unset (``auto``): numba's when numba is installed, for a fit large enough
to pay for loading them (:data:`FUSED_FROM_WORK`); once loaded in a process,
every fit uses them.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import importlib.util
import os

import numpy as np

KERNELS_VARIABLE = "SKDENSE_KERNELS"
CHOICES = ("auto", "numpy", "numba")

#: Rows x parameters x epochs below which ``auto`` keeps NumPy's kernels
#: while numba's are not loaded yet. ``benchmarks/bench_kernels.py`` measured
#: on the 2-core reference machine: loading them (numba's import and the
#: compiled kernels from its cache) costs 0.45 s in a fresh process (0.38 s
#: in a loky worker), and they save 0.008 ns per row x parameter x epoch
#: (relu, float32: the least they save), so they pay back from 5.7e10 (4.9e10
#: in an earlier run): about ten epochs of 20,000 rows through a
#: 784-256-128-10 network.
FUSED_FROM_WORK = 5e10

_loaded = None


def kernel_choice():
    """``SKDENSE_KERNELS``, checked: 'auto', 'numpy' or 'numba'."""
    value = os.environ.get(KERNELS_VARIABLE, "").strip().lower() or "auto"
    if value not in CHOICES:
        raise ValueError(
            f"{KERNELS_VARIABLE}={os.environ[KERNELS_VARIABLE]!r} is not one of "
            f"{', '.join(CHOICES)} (or unset)."
        )
    return value


def numba_installed():
    return importlib.util.find_spec("numba") is not None


def fused_kernels(work=np.inf):
    """The fused kernels (the module :mod:`skdense._fused`) a fit of ``work``
    (rows x parameters x epochs) should use, or None for NumPy's."""
    choice = kernel_choice()
    if choice == "numpy":
        return None
    not_worth_loading = work < FUSED_FROM_WORK or not numba_installed()
    if choice == "auto" and _loaded is None and not_worth_loading:
        return None
    return _load()


def _load():
    global _loaded
    if _loaded is None:
        try:
            from . import _fused
        except ImportError as error:
            raise ImportError(
                f"{KERNELS_VARIABLE}=numba needs numba: pip install "
                "'skdense[numba]', or unset it to use NumPy's kernels."
            ) from error
        _loaded = _fused
    return _loaded


def in_dtype(dtype, *values):
    """``values`` as scalars of ``dtype``, or None when NumPy would compute
    with one of them in a wider type (a NumPy float64 scalar and float32
    arrays): a kernel taking them in ``dtype`` would round differently."""
    dtype = np.dtype(dtype)
    if any(np.result_type(dtype, value) != dtype for value in values):
        return None
    return tuple(dtype.type(value) for value in values)
