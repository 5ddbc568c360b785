"""What a Classification run or noise sweep costs, part by part, for :mod:`labcore.budget`.

:func:`run_parts` lists one ``run_classification`` call's training, its test-time views and
decision map; :func:`noise_sweep_parts` the noise sweep's one batched training of every
(loss, rate). The config's ``check()`` and the sweep sum them before anything trains. This
module reads the config's fields only (no import of the run, which imports the config).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labcore.budget import Forward, Part, Training

if TYPE_CHECKING:
    from labcore.data.classification import ClassificationData
    from labcore.experiments.classification.config import ClassificationConfig

DIGITS = (899, 359, 539)  # digits' seeded 50 / 20 / 30 split
DIGIT_PIXELS = 64
DIGIT_CLASSES = 10
TOY_CLASSES = {"moons": 2, "circles": 2, "blobs": 3, "spirals": 3}
MAP_POINTS = 100 * 100  # the decision map (labcore.experiments.classification.run.GRID_SIZE²)
AUGMENT_S_PER_IMAGE = 1.7e-6
"""Making one augmented digit (shift, rotation, noise) for the training copies or a view."""

ADVICE = ("use fewer training steps, hidden units, layers, members, MC samples, views or "
          "augmented copies, or a batch size")


Shape = tuple[int, int, int, int, int]
"""(train, validation, test, inputs, classes) of the data a run trains on."""


def data_shape(config: ClassificationConfig, data: ClassificationData | None = None) -> Shape:
    """The shape of ``data``, or of the config's dataset (digits, or a 60/20/20 toy)."""
    if data is not None:
        return (len(data.y_train), len(data.y_val), len(data.y_test), data.x_train.shape[1],
                data.n_classes)
    if config.dataset == "digits":
        return (*DIGITS, DIGIT_PIXELS, DIGIT_CLASSES)
    n_val = n_test = int(0.2 * config.n_points)
    return (config.n_points - n_val - n_test, n_val, n_test, 2,
            TOY_CLASSES.get(config.dataset, 3))


def _training(config: ClassificationConfig, shape: Shape, members: int,
              losses: tuple[str, ...], dropout: bool) -> Training:
    """The training of ``members`` networks on data of ``shape`` (with the config's copies)."""
    n_train, n_val, _, d_in, k = shape
    rows = n_train * (1 + config.train_copies)
    uanll = "uanll" in losses
    dims = (d_in, *(config.hidden,) * config.n_layers, k + uanll)
    minibatch = 0 < config.batch_size < rows
    evals = config.steps // max(1, config.steps // 40)
    return Training(config.steps, members, config.batch_size if minibatch else rows, dims,
                    minibatch=minibatch, dropout=dropout,
                    loss="uanll" if uanll else "ce", evals=evals, eval_rows=n_val)


def _images(shape: Shape, count: int) -> float:
    """Making ``count`` augmented digits (a 2-D point's jitter costs nothing)."""
    return AUGMENT_S_PER_IMAGE * count if shape[3] == DIGIT_PIXELS else 0.0


def run_parts(config: ClassificationConfig, data: ClassificationData | None = None
              ) -> list[Part]:
    """The training and forward passes of ``run_classification`` on ``config`` (or of
    ``run_on_data`` on ``data``: a user's)."""
    shape = data_shape(config, data)
    n_train, _, n_test, d_in, _ = shape
    members = config.members if config.method == "ensemble" else 1
    training = _training(config, shape, members, (config.loss,),
                         config.method == "mc_dropout")
    views = config.n_views * (n_test + n_train)
    queried = views + (MAP_POINTS if d_in == 2 else 0)
    if config.method == "mc_dropout":
        predict = Forward(queried * config.mc_samples, 1, training.dims, dropout=True)
    else:
        predict = Forward(queried, members, training.dims)
    made = n_train * config.train_copies + views - n_test - n_train
    return [training, predict, _images(shape, made)]


def noise_sweep_parts(config: ClassificationConfig, losses: tuple[str, ...], runs: int,
                      data: ClassificationData | None = None) -> list[Part]:
    """The noise sweep's one batched training of ``runs`` networks with ``losses`` on the
    config's data (or ``data``), and its predictions on the test and training sets."""
    shape = data_shape(config, data)
    n_train, _, n_test, _, _ = shape
    training = _training(config, shape, runs, losses, False)
    return [training, Forward(n_test + n_train, runs, training.dims),
            _images(shape, n_train * config.train_copies)]
