"""learning_rate="auto": step sizes from the data, so that no solver needs
``eta0`` tuned.

The rule, per solver and optimizer (L is a smoothness constant of the
loss, see below; alpha the regularization strength):

- per-row solvers (hogwild, local, easgd, buckwild; b = 1), minibatch and
  async (b = batch_size: both step along a batch's mean gradient),
  optimizer "sgd": scikit-learn's "optimal" rate eta_t = 1 / (alpha (t0 + t))
  (t counts steps), with t0 set so that the first step is 1 / L(b): the
  largest step that keeps SGD stable for batches of b rows (Gower et al.,
  "SGD: General Analysis and Improved Rates", ICML 2019, whose step is
  1 / (2 L(b)) with a decay ~ 2 / (mu t) after it; the 1 / (alpha t) decay
  is Bottou's and scikit-learn's, and keeps Polyak-Ruppert averaging's
  guarantees). scikit-learn's own t0 (Bottou's heuristic) ignores the
  data's scale: its first step on a9a is 10, 35 times the stable one.
- "momentum" and "nesterov": the same, times (1 - momentum): heavy-ball
  velocity multiplies a step by up to 1 / (1 - momentum).
- hogwild, local and buckwild with "sgd", "momentum", "nesterov", "rmsprop"
  or "adam" (PLATEAU_DECAY_SOLVERS, PLATEAU_DECAY_OPTIMIZERS): from the first epoch whose objective improves on
  the best before it by less than 0.1%, min(rate, C / t), C the step there
  times t (the core's EpochDriver::note_plateau; partial_fit continues the
  state of the call before, _engine._continued_plateau). The "optimal" rate falls
  only after t0 = 1 / (alpha eta0) updates, on small data many epochs
  (heart_scale: 136), and until then the noise of SGD sets the
  suboptimality. Measured with bench/bench_defaults.py: heart_scale
  5.4e-2 -> 7.7e-4 with the intercept rule below, dna 1.0e-1 -> 5.4e-2,
  a9a's momentum 2.9e-2 -> 1.0e-2; easgd is left out (rcv1_small 7.5e-3 ->
  1.2e-2 with it), and the batch solvers, whose t counts batches.
- "adagrad": the first step 1; "rmsprop" and "adam": 0.01 (each normalizes
  every coordinate's gradient, so their step is in the weights' units;
  measured on a9a, rcv1_small, heart_scale and dna with bench/bench_defaults.py).
  rmsprop and adam take the plateau decay above (regressors too: their
  rate is "optimal" as well, where sgd's is invscaling): at the "optimal" rate
  alone, whose t0 is 1e6 updates at alpha 1e-4, their step stayed 0.01 and
  50 epochs of rcv1_small ended at 3e-3 to 3e-2 from run to run (2 racing
  threads); with it at 3e-4 to 1.2e-3 (a9a 3.2-9.4e-3 -> 0.5-3.1e-3, dna
  1.2-1.7e-1 -> 4.2-4.6e-2, agaricus 1.8-4.9e-2 -> 0.3-2.2e-2, heart_scale
  0.9-2.0e-2 -> 1.9-3.3e-2: its 216 rows still descend slowly at 0.01).
- gd with "sgd" and a smooth loss: Barzilai-Borwein steps (the short one,
  s.y / y.y: Barzilai & Borwein, IMA J. Numer. Anal. 1988), the step from
  each point from that point and the one before it (one step late, the
  gradient method with retards of Friedlander, Martinez, Molina & Raydan,
  SIAM J. Numer. Anal. 1999, they ended 200 epochs of dna at 1.9e-2 where
  these end at 2.0e-3), the first 1 / L: the full gradient
  has no noise, so the step follows the curvature along the path instead
  of decaying; a point whose objective exceeds the largest of the last 10
  is rejected and replaced by the halved step from the last accepted point
  (its stored gradient: no pass spent; Raydan's nonmonotone safeguard, SIAM
  J. Optim. 1997, without its sufficient-decrease term); a run's newest
  point is checked by one more pass at its end, and the run hands back the
  best point it has seen. gd with an L1 part, with
  averaging (a rejected point would enter the average), on a GPU, or with
  "momentum" or "nesterov": the constant step 1 / L; with "momentum" or
  "nesterov" the velocity is set to zero after an epoch whose objective
  rose (adaptive restart, O'Donoghue & Candes, Found. Comput. Math. 2015):
  heavy-ball momentum at 1 / L circles the optimum, and the stopping rule
  read its swings as a stall (ridge, 400 standardized rows: stopped after
  8 epochs at R^2 0.6; scikit-learn 1.0).
  gd with a non-smooth loss (hinge, perceptron, epsilon_insensitive): the
  decaying rate of the other solvers (subgradient steps need a decay).
- regression losses (squared_error, huber, epsilon_insensitive,
  squared_epsilon_insensitive), and alpha = 0: scikit-learn's regressor
  rate "invscaling", eta0 / t^power_t, with eta0 = 1 / L(b) (its own 0.01
  ignores the data's scale and diverges on large rows). The 1 / (alpha t)
  decay assumes alpha is the objective's curvature; a least-squares
  objective has the data's, usually far larger: on 2,000 Gaussian rows of
  20 features (alpha 1e-3) it ended 50 epochs at 2.5e-2 relative
  suboptimality, invscaling at 2.3e-3.
- the sequential solver: scikit-learn's default ("optimal" for the
  classifier, "invscaling" for the regressor), so that it stays
  scikit-learn's algorithm step for step.

Smoothness: a row's loss has curvature at most c ||x||^2 (c: 1/4 for
log_loss, 1 for squared_error and huber, 2 for squared_hinge,
modified_huber and squared_epsilon_insensitive; the non-smooth hinge,
perceptron and epsilon_insensitive take 1, the scale of a subgradient
step). Sample and class weights are left out, as scikit-learn's rates
leave them out: a row of weight w takes w times the step (a bound that
took the largest weight in would slow every other row down as much:
class_weight={0: 1000, ...} made the steps 1000 times shorter). L_max is
the largest over the rows, L_mean that of the mean loss (the largest
eigenvalue of X^T X / n times c, from power iterations on a sample of at
most 4,096 rows), and for batches of b of n rows drawn without
replacement L(b) = n (b - 1) / (b (n - 1)) L_mean + (n - b) / (b (n - 1)) L_max
(Gower et al., Proposition 3.8). The intercept counts as a feature whose
squared value is intercept_decay, the factor of its steps: 1 on dense
data and on CSR data with at least 10% of its entries stored, 0.01 on
sparser data (scikit-learn takes 0.01 for every sparse matrix; see
_HogwildTraining._intercept_decay): on rcv1_small, whose rows have norm 1
and whose X^T X / n has largest eigenvalue ~0.03, counting it as 1 made
minibatch's steps 25 times shorter.

``get_params()`` keeps showing ``"auto"``; the fitted estimator's
``learning_rate_`` and ``eta0_`` say what ran (eta0_: the first step).

batch_size="auto" (minibatch, async): n // 400 rows a batch, at least 8
(a step's barriers cost more than smaller batches gain) and at most 256,
so that an epoch takes at least 400 steps where the data has the rows.
With 256-row batches a small data set gets few steps an epoch at
1 / L(b) (agaricus, 6,513 rows: 25), and 50 epochs ended at 0.94
relative suboptimality where 16-row batches end at 1e-2; on data of more
than 102,400 rows it is 256 (bench/bench_defaults.py, README). The
fitted ``batch_size_`` says what ran.
"""

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier

from . import _core
from ._validation import core_view

CURVATURE = {
    "log_loss": 0.25, "squared_error": 1.0, "huber": 1.0, "modified_huber": 2.0, "squared_hinge": 2.0,
    "squared_epsilon_insensitive": 2.0, "hinge": 1.0, "perceptron": 1.0, "epsilon_insensitive": 1.0,
}
REGRESSION_LOSSES = ("squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive")
NON_SMOOTH_LOSSES = ("hinge", "perceptron", "epsilon_insensitive")
ADAPTIVE_FIRST_STEP = {"adagrad": 1.0, "rmsprop": 0.01, "adam": 0.01}

SAMPLE_ROWS = 4096
POWER_ITERATIONS = 20


@dataclass(frozen=True)
class StepChoice:
    """What the core runs: its learning_rate, eta0 and the "optimal" rate's first step."""
    learning_rate: str
    eta0: float
    initial_eta: float = 0.0
    decay_on_plateau: bool = False  # (see PLATEAU_DECAY_SOLVERS)
    restart_momentum: bool = False  # (gd with momentum or nesterov: see the module's docstring)

    @property
    def first_step(self):
        return self.initial_eta if self.learning_rate == "optimal" else self.eta0

    def with_first_step(self, eta):
        """The same rule from another first step."""
        if self.learning_rate == "optimal":
            return replace(self, eta0=eta, initial_eta=eta)
        return replace(self, eta0=eta)


def largest_squared_row_norm(X):
    """max_i ||x_i||^2 of a CSR or dense X (float32 or float64), in the
    core: one pass over the stored values, reading X in place (NumPy's
    reduceat over chunks took 60 us of a 2,000-row fit's 1.2 ms), except
    the index arrays of a CSR X whose indices and indptr differ in type
    (converted as for training). The core trusts X's structure: callers
    pass X as the estimators validated it (check_csr_structure)."""
    return float(_core.largest_squared_row_norm(core_view(X)))


def mean_curvature_bound(X, seed=0):
    """The largest eigenvalue of X^T X / n, by power iteration on at most
    SAMPLE_ROWS rows drawn without replacement (an estimate; the sample's
    own value is on average at least the whole data's). Dense samples go
    through CSR; the sample is float64 whatever X's type (in float32,
    X^T X v overflowed for values of 1e19, whose squares the largest row
    norm, summed in float64, holds: the step fell back to scikit-learn's
    rate and a float32 X trained another model than its float64 copy)."""
    n = X.shape[0]
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=SAMPLE_ROWS, replace=False)) if n > SAMPLE_ROWS else np.arange(n)
    sample = (_csr_rows(X, rows) if sp.issparse(X) else sp.csr_matrix(X[rows])).astype(np.float64)
    v = rng.normal(size=X.shape[1])
    value = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(POWER_ITERATIONS):
            u = sample.T @ (sample @ v)
            value = float(np.linalg.norm(u))
            if not (0.0 < value < np.inf):
                return value
            v = u / value
    return value / sample.shape[0]


def _csr_rows(X, rows):
    """Rows of a CSR X as a new CSR matrix, gathered from its arrays in
    O(the rows' nonzeros) (SciPy's X[rows] first converts the whole index
    arrays when indices and indptr differ in type: a copy of X)."""
    starts = X.indptr[rows].astype(np.int64)
    lengths = X.indptr[rows + 1].astype(np.int64) - starts
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    take = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
    return sp.csr_matrix((X.data[take], X.indices[take].astype(np.int64), indptr), shape=(len(rows), X.shape[1]))


# The solvers whose schedule counts rows (not batches) and whose "auto" step
# decays as 1/t from the first epoch whose objective improves on the best
# before it by less than 0.1% (the core's EpochDriver::note_plateau): on
# small data the "optimal" rate's t0 = 1 / (alpha eta0) is many epochs.
PLATEAU_DECAY_SOLVERS = ("hogwild", "local", "buckwild")
# (adagrad left out: its own 1 / sqrt decay; with the plateau rule too it
# ended 50 epochs of rcv1_small at 1e-3 against 1.9e-4, of heart_scale at
# 1.4e-2 against 8.2e-3)
PLATEAU_DECAY_OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")

AUTO_BATCH_STEPS = 400  # batch_size="auto": at least this many steps an epoch...
AUTO_BATCH_MIN = 8      # ...with batches of at least...
AUTO_BATCH_MAX = 256    # ...and at most this many rows


def auto_batch_size(n_rows):
    """batch_size="auto" for an epoch of `n_rows` rows (see the module's docstring)."""
    return max(AUTO_BATCH_MIN, min(AUTO_BATCH_MAX, int(n_rows) // AUTO_BATCH_STEPS))


def batch_smoothness(L_max, L_mean, n, b):
    """Gower et al.'s expected smoothness of b-row batches drawn without
    replacement from n rows: L_max for b = 1, L_mean for b = n."""
    if n <= 1 or b <= 1:
        return L_max
    b = min(b, n)
    return n * (b - 1) / (b * (n - 1)) * L_mean + (n - b) / (b * (n - 1)) * L_max


def auto_step(estimator, X, *, loss, alpha, intercept_decay, row_norm=None):
    """The StepChoice of learning_rate="auto" for `estimator` on X (the rule
    in this module's docstring); `row_norm`: X's largest squared row norm
    where the caller knows it (the validation's scan of a CSR X)."""
    solver, optimizer = estimator.solver, estimator.optimizer
    if solver == "sequential":
        # scikit-learn's own default rate: the sequential solver stays its algorithm
        return StepChoice("optimal" if is_classifier(estimator) else "invscaling", float(estimator.eta0))
    if optimizer in ADAPTIVE_FIRST_STEP:
        first = ADAPTIVE_FIRST_STEP[optimizer]
        if not alpha > 0:
            return StepChoice("invscaling", first)
        return StepChoice("optimal", first, first, decay_on_plateau=_decays_on_plateau(estimator))

    n = X.shape[0]
    curvature = CURVATURE[loss]
    intercept = intercept_decay if estimator.fit_intercept else 0.0
    # (10 significant digits: a dense X and its CSR form with unsorted
    # indices, summed in different orders, take the same steps)
    if row_norm is None:
        row_norm = largest_squared_row_norm(X)
    L_max = curvature * (float(f"{row_norm:.10g}") + intercept)
    batch = {"minibatch": estimator._batch_rows(n), "async": estimator._batch_rows(n), "gd": n}.get(solver, 1)
    L = L_max
    if batch > 1:
        L = batch_smoothness(L_max, curvature * (mean_curvature_bound(X) + intercept), n, batch)
    if not np.isfinite(L):
        # (values so large that their squares overflow: scikit-learn's rule,
        # whose overflow error then names the problem)
        return StepChoice("optimal", float(estimator.eta0)) if alpha > 0 else StepChoice("invscaling", 0.01)
    if not L > 0.0:
        L = 1.0  # (every row empty and no intercept: nothing to learn; any step does)
    first = 1.0 / L
    if solver == "gd" and loss not in NON_SMOOTH_LOSSES:
        l1 = estimator.penalty == "l1" or (estimator.penalty == "elasticnet" and estimator.l1_ratio > 0)
        if optimizer == "sgd" and estimator.device == "cpu" and not l1 and not estimator.average:
            return StepChoice("barzilai_borwein", first)
        return StepChoice("constant", first, restart_momentum=optimizer in ("momentum", "nesterov"))
    if optimizer in ("momentum", "nesterov"):
        first *= 1.0 - estimator.momentum
    if loss in REGRESSION_LOSSES or not alpha > 0:
        return StepChoice("invscaling", first)
    return StepChoice("optimal", first, first, decay_on_plateau=_decays_on_plateau(estimator))


def _decays_on_plateau(estimator):
    """Whether the "optimal" rate of learning_rate="auto" falls as 1 / t
    from the first plateau (the module's docstring: PLATEAU_DECAY_SOLVERS)."""
    return (estimator.solver in PLATEAU_DECAY_SOLVERS and estimator.optimizer in PLATEAU_DECAY_OPTIMIZERS
            and estimator.device == "cpu" and getattr(estimator, "_distributed", None) is None)
