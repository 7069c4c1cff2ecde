"""How many BLAS threads a fit or a prediction runs with.

``n_threads='auto'``, the default, chooses by the work: one thread when the
largest matrix product of a batch (its rows x fan-in x fan-out) is below
:data:`SINGLE_THREAD_BELOW` multiply-adds, BLAS's own count otherwise.
``None`` leaves BLAS as it is configured; an int sets the count.

Why, measured by ``benchmarks/bench_threads.py`` on a 2-core machine (the
committed results): with one busy process per core, BLAS's two threads wait
for each other, and the demo's fit (a 256 x 256 network on 100 points, its
largest product 6.6 million multiply-adds) took 17 times as long as at one
thread. Quiet, a second thread saved 12 % at that size and 27 to 36 % from
40 million up (the speed workload's epoch). The threshold, 2**24 (16.8
million), sits between the two: the demo and networks of its size run on
one thread, where a busy machine costs them most and a quiet one least;
larger ones keep BLAS's count, which on a quiet machine pays. On a busy
machine those lose too (the speed workload's epoch took 14 times as long):
there, ``n_threads=1`` is the setting to choose.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import functools
import itertools

from threadpoolctl import ThreadpoolController

#: Multiply-adds of a batch's largest matrix product below which one BLAS
#: thread runs it (measured: benchmarks/bench_threads.py).
SINGLE_THREAD_BELOW = 2**24


def largest_product(n_rows, layer_sizes):
    """Multiply-adds of the largest product of ``n_rows`` rows through a
    network of ``layer_sizes`` (input, hidden and output widths)."""
    return n_rows * max(a * b for a, b in itertools.pairwise(layer_sizes))


def thread_limit(n_threads, work):
    """A context that runs BLAS with ``n_threads`` threads for ``work``
    multiply-adds per product: 'auto', None or an int (see the module)."""
    if n_threads == "auto":
        if work >= SINGLE_THREAD_BELOW:
            return contextlib.nullcontext()
        n_threads = 1
    if n_threads is None:
        return contextlib.nullcontext()
    return _controller().limit(limits=n_threads, user_api="blas")


@functools.cache
def _controller():
    """The BLAS libraries loaded, found once: a search at every call costs
    0.2 ms, which a stream of small ``partial_fit`` calls would pay each time
    (a library loaded later is not limited)."""
    return ThreadpoolController()
