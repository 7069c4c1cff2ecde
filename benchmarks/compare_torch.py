"""skdense's activations, AdamW step and cosine schedule against PyTorch's, in
float64.

PyTorch is never a dependency of skdense: install the CPU build on its own
(``pip install torch==2.13.0``) and run::

    python benchmarks/compare_torch.py [--configs 200] [--steps 25] [--draws 100000]

Each configuration draws a learning rate, ``beta_1``, ``beta_2``,
``epsilon`` and a decay rate, and runs the same gradients through both
optimisers. The weights are one parameter group with
``weight_decay = rate`` and the intercepts another with none, as skdense
decays weights and never intercepts. The mapping from skdense's parameters:
``lr = learning_rate_init`` and ``weight_decay = alpha * l2 / sum(s)`` for a
minibatch of sample weights ``s`` (``alpha / batch_size`` without weights),
``l2`` being 1 for ``penalty='l2'`` and ``1 - l1_ratio`` for
``'elasticnet'``.

The schedule (``learning_rate='cosine'``, ``warmup_iter``) is compared, epoch
by epoch, with ``SequentialLR`` of ``LinearLR(start_factor=1 / (warmup_iter +
1), total_iters=warmup_iter)`` and ``CosineAnnealingLR(T_max=max_iter -
warmup_iter)`` (``CosineAnnealingLR`` alone without warm-up), stepped once per
epoch, over drawn ``learning_rate_init``, ``max_iter`` and ``warmup_iter``.

Every hidden activation and its derivative are compared with
``torch.nn.functional`` and autograd over drawn pre-activations of every
scale, with the edges (0, the softplus threshold 20 and its neighbours, large
and tiny values) added. The difference is relative where ``|torch| >= 1``
and absolute below: ``gelu(z)`` for very negative ``z`` is ``z * (1 +
erf(z / sqrt(2))) / 2``, a cancellation in which one ulp of ``erf`` (SciPy's
against PyTorch's) is a large relative error of a value near zero.

It prints the worst differences and writes them to
``benchmarks/results/compare_torch.json``.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import pathlib
import platform

import numpy as np
from _report import write  # benchmarks/_report.py, beside this script

from skdense._activations import ACTIVATIONS
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
            learning_rate="constant",
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


def schedule_difference(torch, rng):
    """Worst relative difference of the rate over every epoch of a schedule."""
    lr = float(10 ** rng.uniform(-4, 0))
    max_iter = int(rng.integers(2, 300))
    warmup = int(rng.integers(0, min(max_iter, 20)))
    ours = make_optimizer(
        dict(
            solver="sgd",
            learning_rate_init=lr,
            learning_rate="cosine",
            max_iter=max_iter,
            warmup_iter=warmup,
            momentum=0.0,
            nesterovs_momentum=False,
            power_t=0.5,
        ),
        1,
        np.float64,
    )
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=lr)
    scheduler = _torch_schedule(torch, optimizer, max_iter, warmup)
    worst = 0.0
    for _ in range(max_iter):
        expected = optimizer.param_groups[0]["lr"]
        worst = max(worst, abs(ours.learning_rate - expected) / expected)
        optimizer.step()
        scheduler.step()
        ours.iteration_ends(0)
    return worst


def _torch_activation(torch, name):
    functional = torch.nn.functional
    return {
        "identity": lambda z: z,
        "logistic": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": functional.relu,
        "leaky_relu": functional.leaky_relu,
        "elu": functional.elu,
        "gelu": functional.gelu,
        "silu": functional.silu,
        "softplus": functional.softplus,
    }[name]


def _pre_activations(rng, n_draws):
    scales = 10 ** rng.uniform(-3, 2, n_draws)
    edges = [0.0, 20.0, np.nextafter(20.0, 21), np.nextafter(20.0, 19), -20.0]
    edges += [1e-300, -1e-300, 700.0, -700.0, 1e-8, -1e-8, 40.0, -40.0]
    return np.concatenate([rng.normal(size=n_draws) * scales, edges])


def activation_differences(torch, rng, n_draws):
    """Worst differences of each activation and its derivative."""
    Z = _pre_activations(rng, n_draws)
    delta = rng.normal(size=Z.size)
    result = {}
    for name, activation in ACTIVATIONS.items():
        H, ours_grad = Z.copy(), delta.copy()
        if activation.keeps_slope:  # as training computes it
            slope = np.empty_like(Z)
            activation.apply_with_slope(H, slope)
            ours_grad *= slope
        else:
            activation.apply(H)
            activation.derivative(H, ours_grad)
        z = torch.tensor(Z, requires_grad=True)
        expected = _torch_activation(torch, name)(z)
        (expected * torch.tensor(delta)).sum().backward()
        result[name] = {
            "forward": _mixed_difference(H, expected.detach().numpy()),
            "derivative": _mixed_difference(ours_grad, z.grad.numpy()),
        }
    return result


def _mixed_difference(ours, expected):
    """Relative difference where ``|expected| >= 1``, absolute below."""
    scale = np.maximum(np.abs(expected), 1.0)
    return float((np.abs(ours - expected) / scale).max())


def _torch_schedule(torch, optimizer, max_iter, warmup):
    schedulers = torch.optim.lr_scheduler
    cosine = schedulers.CosineAnnealingLR(optimizer, T_max=max_iter - warmup)
    if not warmup:
        return cosine
    linear = schedulers.LinearLR(
        optimizer, start_factor=1 / (warmup + 1), total_iters=warmup
    )
    return schedulers.SequentialLR(optimizer, [linear, cosine], milestones=[warmup])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--draws", type=int, default=100_000)
    args = parser.parse_args(argv)
    torch = _torch()
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(0)
    worst = max(adamw_difference(torch, rng, args.steps) for _ in range(args.configs))
    worst_schedule = max(schedule_difference(torch, rng) for _ in range(args.configs))
    activations = activation_differences(torch, rng, args.draws)
    result = {
        "activations": {"draws": args.draws + 13, **activations},
        "adamw": {
            "configurations": args.configs,
            "steps_each": args.steps,
            "worst_relative_difference": worst,
        },
        "cosine_schedule": {
            "configurations": args.configs,
            "worst_relative_difference": worst_schedule,
        },
        "torch": torch.__version__,
        "numpy": np.__version__,
        "machine": platform.machine(),
    }
    print(
        f"AdamW: {args.configs} configurations x {args.steps} steps, worst "
        f"relative difference {worst:.2e} (torch {torch.__version__})"
    )
    print(
        f"cosine schedule with warm-up: {args.configs} configurations, every "
        f"epoch, worst relative difference {worst_schedule:.2e}"
    )
    for name, worst_pair in activations.items():
        print(
            f"{name}: forward {worst_pair['forward']:.2e}, derivative "
            f"{worst_pair['derivative']:.2e} over {args.draws + 13} values"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    write(RESULTS, result)


if __name__ == "__main__":
    main()
