"""skdense's activations, AdamW step, cosine schedule, NTK parametrisation and
the gradients of its Gaussian (beta-NLL) and pinball losses against
PyTorch's, in float64.

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

The two losses MLP does not have are compared on drawn networks (layers,
activation, one or two targets, sample weights): the gradient of skdense's
``loss_gradient`` against autograd of PyTorch's ``gaussian_nll_loss`` times
the variance to the power ``variance_power``, detached (beta-NLL, Seitzer et
al. 2022), or of the pinball loss ``max(q r, (q - 1) r)``, and the
parameters after ``--steps`` steps of Adam (skdense's ``adamw`` without
decay, whose step is ``torch.optim.Adam``'s) on the same batch.

``parametrization='ntk'`` is compared with the PyTorch module it stands
for: raw weights ``w`` multiplied by ``1 / sqrt(fan_in)`` in the forward
pass, intercepts in a parameter group at a tenth of the rate (and no decay),
stepped by ``AdamW`` (with and without decay) or ``SGD`` with momentum, half
the configurations with ``input_scale=True`` (a scale per input, multiplied
into the inputs, in a group at six times the rate); the weights the network
uses are compared after every step.

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
from skdense._buffers import Buffers
from skdense._losses import VARIANCE_FLOOR
from skdense._network import DenseNetwork
from skdense._optimizers import make_optimizer
from skdense._parametrization import (
    input_scale_step,
    n_trained,
    ntk_initial_params,
    step_scales,
)
from skdense._penalties import make_penalty
from skdense._targets import smooth_labels

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


def loss_difference(torch, rng, loss, n_steps):
    """Worst differences, for one drawn network and batch, of the loss's
    gradient (relative to its largest entry) and of the parameters after
    ``n_steps`` Adam steps on it (relative to their largest), skdense's
    ``loss_gradient`` and ``adamw`` (no decay) against autograd and
    ``torch.optim.Adam``."""
    k = int(rng.integers(1, 3))
    hidden = [int(rng.integers(2, 8)) for _ in range(rng.integers(1, 3))]
    activation = str(rng.choice(sorted(ACTIVATIONS)))
    gaussian = loss == "gaussian_nll"
    param = float(rng.uniform(0, 1) if gaussian else rng.uniform(0.05, 0.95))
    n_in, n_rows = int(rng.integers(2, 6)), int(rng.integers(5, 40))
    network = DenseNetwork(
        [n_in, *hidden, k * (2 if gaussian else 1)],
        activation,
        "gaussian" if gaussian else "quantile",
        np.float64,
        param,
    )
    theta = network.initial_params(np.random.RandomState(int(rng.integers(1000))))
    X, Y = rng.normal(size=(n_rows, n_in)), rng.normal(size=(n_rows, k))
    weights = rng.uniform(0.1, 2.0, n_rows)
    lr = float(10 ** rng.uniform(-4, -2))
    ours = make_optimizer(
        dict(
            solver="adamw",
            learning_rate="constant",
            learning_rate_init=lr,
            beta_1=0.9,
            beta_2=0.999,
            epsilon=1e-8,
        ),
        theta.size,
        np.float64,
    )
    coefs, intercepts = network.unpack(theta)
    tensors = [torch.tensor(a.copy(), requires_grad=True) for a in coefs + intercepts]
    reference = torch.optim.Adam(tensors, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    penalty, grad = make_penalty(None, 0.0, 0.5), np.empty_like(theta)
    worst_gradient = worst_step = 0.0
    for step in range(n_steps):
        network.loss_gradient(theta, X, Y, weights, penalty, grad)
        reference.zero_grad()
        _torch_loss(torch, tensors, network, X, Y, weights, loss, param).backward()
        # Coefficients then intercepts, layer by layer: theta's own order.
        expected = np.concatenate([t.grad.numpy().ravel() for t in tensors])
        if step == 0:
            worst_gradient = _relative_to_largest(grad, expected)
        ours.step(theta, grad)
        reference.step()
        expected = np.concatenate([t.detach().numpy().ravel() for t in tensors])
        worst_step = max(worst_step, _relative_to_largest(theta, expected))
    return worst_gradient, worst_step


def ntk_difference(torch, rng, n_steps):
    """Worst difference (relative to the largest) of the network's weights
    over ``n_steps`` steps of ``parametrization='ntk'`` with a drawn solver
    (adamw with or without decay, whose step is PyTorch's; sgd with
    momentum), with or without ``input_scale``, against a PyTorch module
    that keeps the raw weights ``w`` and computes with ``w / sqrt(fan_in)``
    (after multiplying the inputs by its scale ``s``), its optimizer holding
    the intercepts in a group at a tenth of the rate and ``s`` in one at six
    times (neither decayed)."""
    solver = str(rng.choice(["adamw", "sgd"]))
    front = bool(rng.integers(2))
    hidden = [int(rng.integers(2, 9)) for _ in range(rng.integers(1, 4))]
    activation = str(rng.choice(sorted(ACTIVATIONS)))
    n_in, n_rows = int(rng.integers(2, 12)), int(rng.integers(5, 40))
    network = DenseNetwork([n_in, *hidden, 3], activation, "softmax", np.float64)
    theta = ntk_initial_params(network, np.random.RandomState(int(rng.integers(1000))))
    theta[theta == 0] = rng.normal(size=(theta == 0).sum()) * 0.1  # a moving start
    X = rng.normal(size=(n_rows, n_in))
    Y = np.eye(3)[rng.integers(0, 3, n_rows)]
    lr, decay = float(10 ** rng.uniform(-3, -1)), float(rng.choice([0, 0.01, 0.1]))
    params = dict(
        solver=solver,
        learning_rate="constant",
        learning_rate_init=lr,
        beta_1=0.9,
        beta_2=float(rng.uniform(0.9, 0.999)),
        epsilon=1e-8,
        momentum=0.9,
        nesterovs_momentum=False,
        power_t=0.5,
    )
    scales = step_scales(network, "ntk", front)
    ours = make_optimizer(params, n_trained(network, front), np.float64, scales)
    if front:
        ours.input_scale = np.ones(n_in)
    coefs, intercepts = network.unpack(theta)
    fan_ins = [np.sqrt(c.shape[0]) for c in coefs]
    raw = [torch.tensor(c * f, requires_grad=True) for c, f in zip(coefs, fan_ins)]
    bias = [torch.tensor(b.copy(), requires_grad=True) for b in intercepts]
    scale = torch.ones(n_in, requires_grad=True)
    groups = [{"params": raw}, {"params": bias, "lr": lr * 0.1, "weight_decay": 0}]
    if front:
        groups.append({"params": [scale], "lr": lr * 6, "weight_decay": 0})
    if solver == "sgd":
        reference = torch.optim.SGD(groups, lr=lr, momentum=0.9)
    else:
        betas = (0.9, params["beta_2"])
        reference = torch.optim.AdamW(
            groups, lr=lr, betas=betas, eps=1e-8, weight_decay=decay
        )
    penalty, grad = make_penalty(None, 0.0, 0.5), np.empty_like(theta)
    work, worst = Buffers(), 0.0
    for _ in range(n_steps):
        network.loss_gradient(theta, X, Y, None, penalty, grad)
        rate = decay if solver == "adamw" else 0.0  # per step
        if front:
            input_scale_step(ours, theta, grad, network, work, rate)
        else:
            if rate:
                ours.decay(theta[: network.n_coefs], rate)
            ours.step(theta, grad)
        reference.zero_grad()
        weights = [w / f for w, f in zip(raw, fan_ins)]
        weights[0] = weights[0] * scale[:, None]  # diag(s) W, as skdense folds it
        values = _torch_logits(torch, weights + bias, network, X)
        torch.nn.functional.cross_entropy(values, torch.tensor(Y)).backward()
        reference.step()
        expected = [w / f for w, f in zip(raw, fan_ins)]
        expected[0] = expected[0] * scale[:, None]
        expected = [e.detach().numpy().ravel() for e in expected]
        expected = np.concatenate(expected + [b.detach().numpy() for b in bias])
        worst = max(worst, _relative_to_largest(theta, expected))
    return worst


def label_smoothing_difference(torch, rng):
    """Worst relative differences of the loss and its gradient for a drawn
    softmax network, ``loss_gradient`` on ``smooth_labels`` targets against
    ``cross_entropy(..., label_smoothing=eps)`` and autograd."""
    n_classes, eps = int(rng.integers(3, 7)), float(rng.uniform(0.01, 0.5))
    hidden = [int(rng.integers(2, 8)) for _ in range(rng.integers(1, 3))]
    activation = str(rng.choice(sorted(ACTIVATIONS)))
    n_in, n_rows = int(rng.integers(2, 6)), int(rng.integers(5, 40))
    network = DenseNetwork(
        [n_in, *hidden, n_classes], activation, "softmax", np.float64
    )
    theta = network.initial_params(np.random.RandomState(int(rng.integers(1000))))
    X, labels = rng.normal(size=(n_rows, n_in)), rng.integers(0, n_classes, n_rows)
    weights = rng.uniform(0.1, 2.0, n_rows)
    Y = smooth_labels(np.eye(n_classes)[labels], eps, "softmax")
    grad = np.empty_like(theta)
    loss = network.loss_gradient(theta, X, Y, weights, make_penalty(None, 0, 0.5), grad)
    coefs, intercepts = network.unpack(theta)
    tensors = [torch.tensor(a.copy(), requires_grad=True) for a in coefs + intercepts]
    values = _torch_logits(torch, tensors, network, X)
    per_row = torch.nn.functional.cross_entropy(
        values, torch.tensor(labels), label_smoothing=eps, reduction="none"
    )
    weights = torch.tensor(weights)
    expected = (per_row * weights).sum() / weights.sum()
    expected.backward()
    expected_grad = np.concatenate([t.grad.numpy().ravel() for t in tensors])
    return abs(loss - expected.item()) / abs(expected.item()), _relative_to_largest(
        grad, expected_grad
    )


def _relative_to_largest(ours, expected):
    return float(np.abs(ours - expected).max() / np.abs(expected).max())


def _torch_logits(torch, tensors, network, X):
    """The network's logits in PyTorch, from its weights then intercepts."""
    n_layers = network.n_layers
    values = torch.tensor(X)
    for layer in range(n_layers):
        values = values @ tensors[layer] + tensors[n_layers + layer]
        if layer < n_layers - 1:
            name = network.hidden_activations[layer]
            values = _torch_activation(torch, name)(values)
    return values


def _torch_loss(torch, tensors, network, X, Y, weights, loss, param):
    """The weighted mean loss, PyTorch's way: ``gaussian_nll_loss`` times
    the variance to ``param`` held constant (beta-NLL), or the pinball loss."""
    values = _torch_logits(torch, tensors, network, X)
    target = torch.tensor(Y)
    if loss == "gaussian_nll":
        k = Y.shape[1]
        mean = values[:, :k]
        variance = torch.nn.functional.softplus(values[:, k:]) + VARIANCE_FLOOR
        per_target = torch.nn.functional.gaussian_nll_loss(
            mean, target, variance, full=True, eps=1e-300, reduction="none"
        )
        per_target = per_target * variance.detach() ** param
    else:
        residual = target - values
        per_target = torch.maximum(param * residual, (param - 1) * residual)
    weights = torch.tensor(weights)
    return (per_target.sum(dim=1) * weights).sum() / weights.sum()


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
        "selu": functional.selu,
        "mish": functional.mish,
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
    losses = {}
    for loss in ("gaussian_nll", "quantile"):
        pairs = [
            loss_difference(torch, rng, loss, args.steps) for _ in range(args.configs)
        ]
        losses[loss] = {
            "configurations": args.configs,
            "steps_each": args.steps,
            "worst_gradient_difference": max(pair[0] for pair in pairs),
            "worst_parameter_difference": max(pair[1] for pair in pairs),
        }
    smoothing = [label_smoothing_difference(torch, rng) for _ in range(args.configs)]
    losses["label_smoothing"] = {
        "configurations": args.configs,
        "worst_loss_difference": max(pair[0] for pair in smoothing),
        "worst_gradient_difference": max(pair[1] for pair in smoothing),
    }
    worst_ntk = max(ntk_difference(torch, rng, args.steps) for _ in range(args.configs))
    result = {
        "ntk_parametrization": {
            "configurations": args.configs,
            "steps_each": args.steps,
            "worst_relative_difference": worst_ntk,
        },
        "losses": losses,
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
    print(
        f"NTK parametrisation and input scale (adamw, sgd): {args.configs} networks x "
        f"{args.steps} steps, worst weight difference {worst_ntk:.2e}"
    )
    for loss, worst_pair in losses.items():
        if loss == "label_smoothing":
            print(
                f"label smoothing: {args.configs} softmax networks, worst loss "
                f"difference {worst_pair['worst_loss_difference']:.2e}, gradient "
                f"{worst_pair['worst_gradient_difference']:.2e}"
            )
            continue
        print(
            f"{loss}: {args.configs} networks x {args.steps} Adam steps, worst "
            f"gradient difference {worst_pair['worst_gradient_difference']:.2e}, "
            f"parameters {worst_pair['worst_parameter_difference']:.2e}"
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
