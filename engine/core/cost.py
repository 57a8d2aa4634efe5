"""What a run costs, counted in multiply-adds, so that caps can bound it on any machine.

One class shares one small server: each thing a student can ask for (one training step,
one evaluation, one click's epochs, one comparison's lock-step) must have a bounded cost
before it runs. The counts are the weighted layers' multiply-adds, which dominate the cost
of these networks; a training step costs about three forward passes (forward, then the
backward pass's two products per layer).

    forward_work(config)          # multiply-adds of one example's forward pass
    step_work(config)             # one training step (its whole mini-batch)
    epoch_work(config)            # one pass over the training set, with the test pass after it

On the 2-core server this project targets, one core does about 2e10 multiply-adds a second
in a training step of these shapes (1e10 when evaluating); the caps below are set in work,
not seconds, so that they mean the same on every machine.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from engine.core.datasets import DATASETS, IMAGE_SIZE, MAX_POINTS, OWN, held_out_points, task_of
from engine.core.heads import head_for
from engine.core.own_data import own_classes, own_point_count
from engine.core.problems import ConfigError

if TYPE_CHECKING:  # engine.core.config imports this module
    from engine.core.config import RunConfig

# Multiply-adds of one example through one layer, times this, is that layer's share of a
# training step: the forward product and the backward pass's two.
STEP_FACTOR = 3
# What one step costs besides its products (Python, the optimizer's update, torch's dispatch:
# about half a millisecond), in multiply-adds, so a million steps of a tiny network count too.
STEP_OVERHEAD = 10**7
# Batch norm's work per value of a convolution's output, as multiply-adds: its statistics, the
# normalising and the scale and shift (measured: about 20% of a step of the `cnn` preset).
BATCH_NORM_WORK = 8
IMAGE_CLASSES = 10
MNIST_TEST_IMAGES = 10_000

# The caps (multiply-adds; on the reference server, ~2e10 a second for a training step):
MAX_IMAGE_BATCH = 512  # images in one mini-batch (a big CNN's activations are ~1 MB an image)
MAX_STEP_WORK = 10**10  # one training step, about half a second: Pause and Stop take effect within a second
MAX_CLICK_WORK = 5 * 10**12  # what one "Train" click of the MNIST lab may ask for, about four minutes of a core
MAX_COMPARE_POINTS = 128_000  # points of every compared run and seed together (4 runs x 16 seeds x 2,000)


def _outputs(config: RunConfig) -> int:
    """Outputs of the last layer, as the run's output head has them."""
    if config.dataset == OWN:
        n_classes = own_classes(config.own_points)
    else:
        n_classes = IMAGE_CLASSES if config.images else DATASETS[config.dataset].n_classes
    return head_for(task_of(n_classes)).n_outputs(n_classes)


def _dense_work(n_in: int, hidden: tuple[int, ...], n_out: int) -> int:
    sizes = [n_in, *hidden, n_out]
    return sum(a * b for a, b in zip(sizes, sizes[1:]))


def _conv_work(config: RunConfig) -> tuple[int, int]:
    """Multiply-adds of the conv blocks for one image, and the features they hand the dense layers."""
    work, channels, side = 0, 1, IMAGE_SIZE
    for width in config.conv_channels:
        for _ in range(config.convs_per_block):
            side = side if config.padding == "same" else side - config.kernel_size + 1
            if side <= 0:
                return work, 0
            work += side * side * width * (channels * config.kernel_size**2 + (BATCH_NORM_WORK if config.batch_norm else 0))
            channels = width
        side //= 2
    return work, channels * side * side


def forward_work(config: RunConfig) -> int:
    """Multiply-adds of one example's forward pass through the network `config` describes."""
    if config.model == "cnn":
        conv, flat = _conv_work(config)
        return conv + _dense_work(flat, config.hidden_sizes, _outputs(config))
    n_in = IMAGE_SIZE * IMAGE_SIZE if config.images else len(config.features)
    return _dense_work(n_in, config.hidden_sizes, _outputs(config))


def data_points(config: RunConfig) -> int:
    """A 2D run's points: generated, drawn, or (own data given another way, a CSV file) at most `MAX_POINTS`."""
    if config.dataset == OWN:
        return own_point_count(config.own_points) or MAX_POINTS
    return config.n_points


def train_examples(config: RunConfig) -> int:
    """Training examples: images used, or the points not held out for testing."""
    if config.images:
        return config.train_size
    return data_points(config) - held_out_points(data_points(config), config.test_fraction)


def test_examples(config: RunConfig) -> int:
    return MNIST_TEST_IMAGES if config.images else data_points(config) - train_examples(config)


def batch_examples(config: RunConfig) -> int:
    """Examples in one mini-batch."""
    n_train = train_examples(config)
    return n_train if config.full_batch else min(int(config.batch_size), n_train)


def step_work(config: RunConfig) -> int:
    """Multiply-adds of one training step (with its fixed overhead)."""
    return STEP_FACTOR * forward_work(config) * batch_examples(config) + STEP_OVERHEAD


def evaluation_work(config: RunConfig) -> int:
    """Multiply-adds of one snapshot's evaluation (the test set; the training set too when small)."""
    return forward_work(config) * (test_examples(config) + (0 if config.images else train_examples(config)))


def epoch_work(config: RunConfig) -> int:
    """Multiply-adds of one pass over the training set and the evaluation at its end."""
    steps = math.ceil(train_examples(config) / batch_examples(config))
    return steps * step_work(config) + evaluation_work(config)


def check_run(config: RunConfig) -> None:
    """Raise ConfigError if one step of `config` costs more than a shared server allows."""
    if config.images and batch_examples(config) > MAX_IMAGE_BATCH:
        raise ConfigError("image_batch_cap", value=batch_examples(config), high=MAX_IMAGE_BATCH)
    work = step_work(config)
    if work > MAX_STEP_WORK:
        raise ConfigError("step_work_cap", work=billions(work), high=billions(MAX_STEP_WORK),
                          batch=max(1, batch_examples(config) * MAX_STEP_WORK // work))


def max_epochs(config: RunConfig) -> int:
    """The most epochs one click may train `config` (0 if not even one fits the cap)."""
    return int(MAX_CLICK_WORK // epoch_work(config))


def max_train_images(config: RunConfig) -> int:
    """The most training images with which one epoch of `config` fits one click's cap (0: none)."""
    per_image = STEP_FACTOR * forward_work(config) + STEP_OVERHEAD / batch_examples(config)
    return max(0, int((MAX_CLICK_WORK - evaluation_work(config)) // per_image))


def check_click(config: RunConfig, epochs: int) -> None:
    """Raise ConfigError if training `config` for `epochs` in one click costs more than the cap."""
    work = epochs * epoch_work(config)
    if work <= MAX_CLICK_WORK:
        return
    if max_epochs(config) < 1:
        raise ConfigError("epoch_work_cap", images=train_examples(config), work=billions(epoch_work(config)),
                          cap=billions(MAX_CLICK_WORK), max_images=max_train_images(config))
    raise ConfigError("click_work_cap", epochs=epochs, high=max_epochs(config), work=billions(work),
                      cap=billions(MAX_CLICK_WORK))


def check_comparison(configs: list[RunConfig], seeds: int) -> None:
    """Raise ConfigError if runs of `configs`, `seeds` each, trained in lock-step, cost more
    than a shared server allows: their points together, or one lock-step's work."""
    points = seeds * sum(data_points(config) for config in configs)
    if points > MAX_COMPARE_POINTS:
        raise ConfigError("compare_points_cap", points=points, high=MAX_COMPARE_POINTS, runs=len(configs), seeds=seeds)
    work = seeds * sum(step_work(config) for config in configs)
    if work > MAX_STEP_WORK:
        raise ConfigError("compare_work_cap", work=billions(work), high=billions(MAX_STEP_WORK), runs=len(configs),
                          seeds=seeds)


def billions(work: float) -> int:
    """Multiply-adds in billions, rounded up, for a message."""
    return math.ceil(work / 1e9)
