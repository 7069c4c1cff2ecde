"""skdense's AdamW step against ``torch.optim.AdamW``, in float64.

PyTorch is never a dependency of skdense: install the CPU build on its own
(``pip install torch==2.13.0``) and run::

    python benchmarks/compare_torch.py [--configs 200] [--steps 25]

Each configuration draws a learning rate, ``beta_1``, ``beta_2``,
``epsilon`` and a decay rate, and runs the same gradients through both
optimisers. The weights are one parameter group with
``weight_decay = rate`` and the intercepts another with none, as skdense
decays weights and never intercepts. The mapping from skdense's parameters:
``lr = learning_rate_init`` and ``weight_decay = alpha * l2 / sum(s)`` for a
minibatch of sample weights ``s`` (``alpha / batch_size`` without weights),
``l2`` being 1 for ``penalty='l2'`` and ``1 - l1_ratio`` for
``'elasticnet'``. It prints the worst relative difference and writes it to
``benchmarks/results/compare_torch.json``.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import json
import pathlib
import platform

import numpy as np

from skdense._optimizers import make_optimizer

RESULTS = pathlib.Path(__file__).parent / "results" / "compare_torch.json"


def _torch():
    try:
        import torch
    except ImportError as error:
        raise SystemExit(
            "This comparison needs PyTorch: pip install torch==2.13.0 "
            "(the CPU build; never a dependency of skdense)."
        ) from error
    return torch


def adamw_difference(torch, rng, n_steps):
    """Worst relative difference of the parameters over ``n_steps`` steps."""
    lr = float(10 ** rng.uniform(-4, -1))
    beta_1, beta_2 = float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.9999))
    epsilon, rate = float(10 ** rng.uniform(-9, -3)), float(10 ** rng.uniform(-4, 0))
    n_coefs, n_intercepts = int(rng.integers(2, 30)), int(rng.integers(1, 6))
    theta = rng.normal(size=n_coefs + n_intercepts)
    ours = make_optimizer(
        dict(
            solver="adamw",
            learning_rate_init=lr,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
        ),
        theta.size,
        np.float64,
    )
    weights = torch.tensor(theta[:n_coefs].copy(), requires_grad=True)
    intercepts = torch.tensor(theta[n_coefs:].copy(), requires_grad=True)
    reference = torch.optim.AdamW(
        [
            {"params": [weights], "weight_decay": rate},
            {"params": [intercepts], "weight_decay": 0.0},
        ],
        lr=lr,
        betas=(beta_1, beta_2),
        eps=epsilon,
    )
    worst = 0.0
    for _ in range(n_steps):
        grad = rng.normal(size=theta.size) * 10 ** rng.uniform(-3, 1)
        ours.decay(theta[:n_coefs], rate)
        ours.step(theta, grad)
        weights.grad = torch.tensor(grad[:n_coefs].copy())
        intercepts.grad = torch.tensor(grad[n_coefs:].copy())
        reference.step()
        expected = np.concatenate(
            [weights.detach().numpy(), intercepts.detach().numpy()]
        )
        scale = np.maximum(np.abs(expected), 1e-300)
        worst = max(worst, float((np.abs(theta - expected) / scale).max()))
    return worst


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=25)
    args = parser.parse_args(argv)
    torch = _torch()
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(0)
    worst = max(adamw_difference(torch, rng, args.steps) for _ in range(args.configs))
    result = {
        "adamw": {
            "configurations": args.configs,
            "steps_each": args.steps,
            "worst_relative_difference": worst,
        },
        "torch": torch.__version__,
        "numpy": np.__version__,
        "machine": platform.machine(),
    }
    print(
        f"AdamW: {args.configs} configurations x {args.steps} steps, worst "
        f"relative difference {worst:.2e} (torch {torch.__version__})"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
