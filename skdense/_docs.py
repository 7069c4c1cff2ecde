"""Parameter descriptions shared by the docstrings of the estimators."""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import inspect

SHARED_PARAMETERS = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units of the ith hidden layer.

    activation : str or list of str, default='relu'
        Activation function of the hidden layers, or a list with one per
        hidden layer. scikit-learn's MLP offers ``'identity'``,
        ``'logistic'``, ``'tanh'`` and ``'relu'``; skdense adds, as
        ``torch.nn.functional`` defines them, ``'leaky_relu'`` (slope 0.01
        below zero), ``'elu'`` (alpha 1), ``'gelu'`` (the exact erf form),
        ``'silu'`` (``z * sigmoid(z)``, also called swish) and ``'softplus'``
        (``log(1 + exp(z))``, and ``z`` itself above 20). Weights start
        Glorot-uniform with the MLP's factor of the activation they feed: 2
        for ``'logistic'``, 6 for every other (the output layer takes that of
        the last hidden layer).

    solver : {'lbfgs', 'sgd', 'adam', 'adamw'}, default='adam'
        Weight optimiser. ``'lbfgs'`` (full batch, ``scipy.optimize``) supports
        only ``penalty`` None or ``'l2'`` and no dropout. ``'adamw'`` is Adam
        with decoupled weight decay (Loshchilov and Hutter, 2019), the step of
        ``torch.optim.AdamW``: the L2 part of the penalty decays the weights,
        ``w <- w * (1 - learning_rate_init * alpha * l2 / sum(s))`` per
        minibatch of sample weights ``s`` (``l2`` is 1 for ``'l2'`` and
        ``1 - l1_ratio`` for ``'elasticnet'``), instead of entering the
        gradient that Adam rescales; the L1 part keeps its proximal step.

    alpha : float, default=0.0001
        Strength of the penalty, as in scikit-learn's MLP.

    batch_size : int or 'auto', default='auto'
        Size of minibatches for the stochastic solvers; ``'auto'`` is
        ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine', 'coslog'}, \
            default='constant'
        Learning-rate schedule. MLP's three are ``solver='sgd'``'s alone, as
        in MLP. ``'cosine'`` serves ``'sgd'``, ``'adam'`` and ``'adamw'``: one
        cosine cycle from ``learning_rate_init`` down towards 0 over
        ``max_iter`` epochs, after ``warmup_iter`` epochs of linear warm-up
        (PyTorch's ``LinearLR`` then ``CosineAnnealingLR``, stepped per
        epoch). Early stopping ends the cycle where it stops; ``partial_fit``
        steps it once per call and holds the last rate past ``max_iter``;
        ``fit`` (``warm_start`` too) starts a new cycle. ``'coslog'`` is
        RealMLP's multi-cycle cosine-log schedule (``coslog4``): four cycles
        that each rise from 0 to ``learning_rate_init`` and fall back, the
        next twice as long in the log of the fit's progress, over
        ``max_iter`` epochs (evaluated at each epoch's middle); pair it with
        early stopping whose ``n_iter_no_change`` is at least ``max_iter``,
        so that the whole schedule runs and the best epoch is kept.

    learning_rate_init : float, default=0.001
        Initial learning rate of the stochastic solvers.

    power_t : float, default=0.5
        Exponent of the ``'invscaling'`` schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

    shuffle : bool, default=True
        Whether to shuffle the samples at each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds everything random: weight initialisation, shuffling, the
        validation split and the dropout masks. An int gives bit-identical fits.

    tol : float, default=1e-4
        Improvement of the loss (or validation score) below which an epoch
        counts as no improvement.

    verbose : bool, default=False
        Whether to print one line per epoch (loss, validation score, time).

    warm_start : bool, default=False
        Whether ``fit`` continues from the previous solution.

    momentum : float, default=0.9
        Momentum of ``solver='sgd'``, in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether ``solver='sgd'`` uses Nesterov's momentum.

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the data and stop when
        the validation score stops improving; the best weights are kept.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay rate of Adam's first moment estimates, in [0, 1).

    beta_2 : float, default=0.999
        Decay rate of Adam's second moment estimates, in [0, 1).

    epsilon : float, default=1e-8
        Numerical stability constant of Adam.

    n_iter_no_change : int, default=10
        Number of epochs without improvement by ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``solver='lbfgs'``.

    penalty : {'l2', 'l1', 'elasticnet'} or None, default='l2'
        Weight penalty ``R``: ``0.5 * ||W||^2`` (``'l2'``), ``||W||_1``
        (``'l1'``), ``l1_ratio * ||W||_1 + (1 - l1_ratio) * 0.5 * ||W||^2``
        (``'elasticnet'``) or none. The stochastic solvers apply the L1 part
        as a proximal (soft-threshold) step after each update, so that
        weights reach exact zeros.

    l1_ratio : float, default=0.5
        Mix of L1 in ``penalty='elasticnet'``, in [0, 1].

    keep_prob : float or array-like of float, default=1.0
        Probability of keeping a hidden unit in (inverted) dropout, in (0, 1]:
        one value for every hidden layer, or one per hidden layer. Dropout acts
        during training only; 1.0 means no dropout.

    warmup_iter : int, default=0
        Epochs of linear warm-up before the cosine cycle of
        ``learning_rate='cosine'``: epoch ``e`` takes ``learning_rate_init *
        (e + 1) / (warmup_iter + 1)``. Must be smaller than ``max_iter``; other
        schedules refuse a warm-up.

    max_norm : float or None, default=None
        Max-norm constraint (Srivastava et al., 2014): after every update of
        ``'adam'`` or ``'sgd'``, each hidden unit's incoming weight vector is
        scaled back to an L2 norm of at most ``max_norm`` when it is longer
        (3 to 4 in the paper, paired with dropout). The output layer and the
        intercepts are not constrained. None: no constraint. ``'lbfgs'``
        refuses it.

    scoring : str, callable or None, default=None
        What early stopping watches on the validation set, as
        HistGradientBoosting's ``scoring``: None is MLP's choice for MLP's
        losses (accuracy for the classifier, R² for the regressor's
        ``'squared_error'`` and ``'poisson'``) and the validation loss for
        the losses MLP does not have (``'gaussian_nll'``, ``'quantile'``),
        as HistGradientBoosting does; ``'loss'`` the validation loss (penalty
        excluded), lower being better; any other string or callable a
        scikit-learn scorer. Only used when ``early_stopping=True``.

    parametrization : {'standard', 'ntk'}, default='standard'
        How the stochastic solvers parametrise the weights. ``'standard'``:
        MLP's (Glorot-uniform start, every parameter stepped as it is).
        ``'ntk'``: RealMLP's neural-tangent-kernel parametrisation
        (Holzmüller et al., 2024): each layer's weights are ``w /
        sqrt(fan_in)`` with ``w`` starting from N(0, 1) and being what the
        optimizer steps, hidden intercepts start from N(0, 1) and learn at a
        tenth of the rate, and the output layer starts at 0. ``coefs_``
        always hold the weights the network uses. With Adam, a layer with
        few inputs learns faster than with ``'standard'``, one with many
        slower; ``learning_rate_init`` of 0.01 to 0.04 suits it. ``'lbfgs'``
        refuses it.

    input_scale : bool, default=False
        Whether to learn a scale per input feature (RealMLP's "front scale"):
        the inputs are multiplied by a vector ``s`` starting at 1 before the
        first layer, and ``s`` learns with the weights at six times
        ``learning_rate_init``, so that the fit can turn each feature up or
        down. The scale is folded into the first layer's weights
        (``coefs_[0]`` is ``diag(s) V``), so predictions, Monte-Carlo passes
        and ONNX graphs are those of a plain network; the optimizer keeps
        ``s`` (a new ``fit``, ``warm_start`` too, starts it at 1 again,
        ``partial_fit`` goes on with it). ``'lbfgs'`` refuses it.

    input_keep_prob : float, default=1.0
        Probability of keeping an input feature in (inverted) dropout, in
        (0, 1] (Srivastava et al., 2014, keep inputs at 0.8). Like the hidden
        masks, the input masks are keyed by the content of each row; sparse
        inputs stay sparse. It acts during training and in the Monte-Carlo
        passes (``return_std=True``, ``sample_y``), never in plain
        predictions; 1.0 means no input dropout and costs nothing.
"""

RUNTIME_PARAMETERS = """\
    n_threads : 'auto', int or None, default='auto'
        Number of BLAS threads during ``fit``, ``partial_fit`` and the predict
        methods (Monte-Carlo passes included); the global setting is restored
        afterwards. ``'auto'`` chooses by the work: one thread when the
        largest matrix product of a batch (or of a prediction chunk) is too
        small to gain from more, below ``2**24`` multiply-adds (measured by
        ``benchmarks/bench_threads.py``), and BLAS's own count otherwise.
        None leaves BLAS as it is (all cores, or what ``threadpoolctl`` or
        joblib set); an int sets the count. Inside ``GridSearchCV(n_jobs=k)``
        joblib already limits each worker's BLAS threads.

    mc_samples : int, default=100
        Number of stochastic forward passes (dropout left on) behind the
        Monte-Carlo estimates returned with ``return_std=True`` and by
        ``sample_y`` (Gal and Ghahramani, 2016). The passes are drawn from
        ``random_state`` and fixed at fit: a fitted model gives the same
        passes at every call (with ``random_state=None`` too, drawn anew at
        each fit), which conformal calibration needs, and leaves any
        RandomState passed untouched. Each row's passes depend on that row
        alone, not on the other rows predicted with it.
"""


TABULAR_PARAMETERS = """\
    categorical_features : 'from_dtype', array-like of int, str or bool, or \
None, default='from_dtype'
        Which columns of ``X`` are categorical and one-hot encoded:
        ``'from_dtype'`` takes the DataFrame columns of dtype ``category``,
        ``object``, ``string`` or ``bool`` (HistGradientBoosting's rule, plus
        text columns), or the text columns of an array of dtype object;
        column indices, names or a boolean mask as HistGradientBoosting
        takes them; None treats every column as numeric. A missing or unseen
        category sets none of its column's units.

    numeric_scaling : {'robust', 'standard'}, default='robust'
        How numeric columns are scaled. ``'robust'`` (RealMLP's): centred on
        the median, divided by the inter-quartile range and smoothly clipped
        to (-3, 3) by ``x / sqrt(1 + (x / 3)**2)``; ``'standard'``: centred
        on the mean and divided by the standard deviation. A missing number
        becomes the centre and sets a 0/1 indicator input of its own (one
        per numeric column with missing values in training).

    piecewise_linear_bins : int, default=0
        With ``n > 0``, each numeric column also enters the network
        piecewise-linearly encoded on up to ``n`` bins between its training
        quantiles (Gorishniy et al., 2022): one input per bin, 1 for the
        bins below the value, its position within its own bin, 0 above (a
        missing number is encoded as the centre). 0: the scaled value alone.
"""


def tabular_doc(estimator, base):
    """The docstring of the tabular ``estimator`` built on ``base``: its
    parameters whose defaults differ from ``base``'s, and its own."""
    kind = "classifier" if base.__name__.endswith("Classifier") else "regressor"
    ours = inspect.signature(estimator).parameters
    theirs = inspect.signature(base).parameters
    changed = "".join(
        f"    {name} : default={parameter.default!r}\n"
        f"        As in :class:`{base.__name__}` (default there:"
        f" ``{theirs[name].default!r}``).\n\n"
        for name, parameter in ours.items()
        if name in theirs and parameter.default != theirs[name].default
    )
    return f"""Deep dense network {kind} for tabular data, preprocessing built in.

    :class:`{base.__name__}` with defaults chosen for tabular data and
    measured on real data sets (``benchmarks/bench_tabular.py``; the
    Benchmarks page gives the table and the ablation of each default), and
    the preprocessing a network needs built in: fit it on a raw DataFrame as
    you would HistGradientBoosting. Numeric columns are robust-scaled and
    smoothly clipped, categorical ones one-hot encoded, missing values kept
    (the fitted :class:`~skdense._preprocessing.TabularPreprocessor` is
    ``preprocessor_``). Every parameter, fitted attribute and method of
    :class:`{base.__name__}` is here; the parameters below are those whose
    default differs, and the preprocessing's. The recipe: a 3 x 256 network,
    the NTK parametrisation with a scale per input, Adam with
    ``beta_2=0.95``, the cosine-log schedule over ``max_iter`` epochs on
    every row, and the last epoch's weights{_EXTRA[kind]}.

    Parameters
    ----------
{changed}{TABULAR_PARAMETERS}
    dtype : {{'float32', 'float64'}}, default='float32'
        The precision the network trains and predicts in.

    Attributes
    ----------
    preprocessor_ : TabularPreprocessor
        The fitted preprocessing: ``preprocessor_.transform(X)`` is what the
        network takes, ``preprocessor_.get_feature_names_out()`` names its
        inputs (``coefs_[0]``'s rows). Every fitted attribute of
        :class:`{base.__name__}` is there too.
    """


_EXTRA = {
    "classifier": ", and label smoothing 0.1",
    "regressor": "; the numeric columns are also piecewise-linearly encoded on "
    "16 quantile bins, the targets are standardised for training whatever the "
    "loss (but ``'poisson'``), and predictions are in y's units",
}
