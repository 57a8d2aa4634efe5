"""The course as lessons: each idea a page already set up, and a claim the engine checks.

A lesson is data, not code: the page (its url path), the URL query that sets the page up
(so every lesson is also a link), a predict-first question's answer, and one English
sentence saying what the run must show. Its `check` builds the runs back from that very
query, through the same link classes the pages use, trains them as the page would, and
measures the claim:

    python -m engine lessons                   # id, idea, page and link of each lesson
    python -m engine lessons --check           # run every claim: PASS/FAIL, exit 1 if any fails
    python -m engine lessons --check --json --only perceptron vanishing

A teacher runs `--check` before class to know that every demo still tells its story.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

import numpy as np
import torch

from engine.core.config import RunConfig, parse_value
from engine.core.loop import Snapshots, train
from engine.core.probes import feature_maps
from engine.core.trainer import Trainer
from engine.course.links import CompareLink, MnistLink, RaceLink
from engine.experiments.backprop import COURSE_EXAMPLE, STEP_IDS, backprop_pass
from engine.experiments.race import race

# The pages take a snapshot (losses, gradient norms) every 10 steps (the loop's default);
# checks whose claim is about a curve record at the same rate, the others only at the end.
PAGE_SNAPSHOTS = Snapshots()
FINAL_ONLY = Snapshots(every=None)


class LessonError(ValueError):
    """A lesson's query does not read back cleanly through its page's link class."""


@dataclass(frozen=True)
class Check:
    """What one claim measured: named figures (NaN where a run has no such number) and
    whether the claim held."""

    figures: dict[str, float]
    passed: bool


@dataclass(frozen=True)
class Lesson:
    """One of the course's eleven ideas, on one page.

    `reveal_after` is the progress the page must reach before the predict-first answer
    shows: steps on the 2D and Compare pages (epochs on Compare when its runs keep together
    by epochs), animation steps on the race, epochs in the MNIST lab, revealed steps on Backprop.
    `answer` is the 0-based index of the right choice in the question the UI asks.
    """

    id: str
    idea: int
    page: str
    query: Mapping[str, str]
    claim: str
    check: Callable[[], Check]
    reveal_after: int
    answer: int
    try_query: Mapping[str, str] | None = None


def link(lesson: Lesson) -> str:
    """The lesson as a relative URL: its page, its query, and `lesson=<id>`."""
    return f"/{lesson.page}?{urlencode({**lesson.query, 'lesson': lesson.id})}"


# ---------------------------------------------------------------- reading a lesson's runs back


def _parsed(link_class: Any, query: Mapping[str, str]) -> Any:
    """`link_class.from_query(query)`, which must read the query without a single warning:
    a warning would mean the page runs something other than the lesson says."""
    parsed, warnings = link_class.from_query(query)
    if warnings:
        raise LessonError(f"{link_class.__name__} does not read the lesson's query cleanly: {'; '.join(map(str, warnings))}")
    return parsed


def _compared(query: Mapping[str, str]) -> list[RunConfig]:
    """The configs of a Compare link's runs, in the link's order."""
    compare: CompareLink = _parsed(CompareLink, query)
    return [compare.base.replace(**{compare.vary: parse_value(compare.vary, value)}) for value in compare.values]


def _trained(config: RunConfig, steps: int, snapshots: Snapshots = FINAL_ONLY) -> Trainer:
    trainer = Trainer(config)
    train(trainer, steps, snapshots=snapshots)
    return trainer


def _trained_epochs(config: RunConfig, epochs: int) -> Trainer:
    trainer = Trainer(config)
    train(trainer, epochs * trainer.steps_per_epoch, snapshots=FINAL_ONLY)
    return trainer


def _compare_query(base: RunConfig, vary: str, values: tuple[str, ...], align: str = "steps") -> Mapping[str, str]:
    return MappingProxyType(CompareLink(base, vary, values, align=align).to_query())


# ---------------------------------------------------------------- 1. the perceptron

PERCEPTRON_STEPS = 500  # 50 epochs of 100 training points in batches of 10
_XOR = RunConfig(dataset="xor", learning_rate=0.03)


def check_perceptron(query: Mapping[str, str], try_query: Mapping[str, str], steps: int) -> Check:
    no_hidden, one_hidden = (_trained(config, steps).evaluate().test_acc for config in _compared(query))
    and_no_hidden = _trained(_compared(try_query)[0], steps).evaluate().test_acc
    return Check({"test_acc_xor_no_hidden": no_hidden, "test_acc_xor_one_hidden": one_hidden,
                  "test_acc_and_no_hidden": and_no_hidden},
                 passed=no_hidden <= 0.8 and one_hidden >= 0.95 and and_no_hidden >= 0.95)


# ---------------------------------------------------------------- 2. backpropagation


def check_backprop() -> Check:
    """The course's worked example through autograd (engine.experiments.backprop), and one SGD update."""
    worked = backprop_pass(COURSE_EXAMPLE)
    z, a = worked.value("z"), worked.value("a")
    return Check({"z": z, "sigmoid_z": a, "loss": worked.loss, "loss_after_update": worked.loss_after,
                  "w1": COURSE_EXAMPLE.w1, "w1_after_update": worked.value("w1_new")},
                 passed=round(z, 4) == 1.05 and round(a, 4) == 0.7408 and worked.loss_after < worked.loss
                 and worked.value("w1_new") > COURSE_EXAMPLE.w1)


# ---------------------------------------------------------------- 3. the learning rate

LEARNING_RATE_STEPS = 200
# A straight line fitted to a noisy tilted plane by plain SGD: the squared error's curvature
# is fixed, so beyond a learning rate of about 1 every step overshoots further (diverges).
_PLANE = RunConfig(dataset="plane", hidden_sizes=(), optimizer="sgd")


def check_learning_rate(query: Mapping[str, str], steps: int) -> Check:
    small, good, large = (_trained(config, steps) for config in _compared(query))
    noise_floor = good.config.noise**2  # the error no model can go below: the noise on the targets
    small_mse, good_mse = small.evaluate().test_loss, good.evaluate().test_loss
    return Check({"test_mse_small": small_mse, "test_mse_good": good_mse, "noise_floor": noise_floor,
                  "large_diverged": float(large.diverged), "large_diverged_at_step": float(large.step)},
                 passed=large.diverged and small_mse > 3 * good_mse and good_mse < 2 * noise_floor)


# ---------------------------------------------------------------- 4. input scaling and saturation

SATURATION_STEPS = 500
# A big SGD step (3) shows that what is missing at x100 is the gradient, not the step size.
_SATURATION = RunConfig(dataset="circle", hidden_sizes=(16,), activation="sigmoid", optimizer="sgd", learning_rate=3.0)


def mean_sigmoid_slope(trainer: Trainer) -> float:
    """The first hidden layer's mean sigmoid derivative a(1 - a) over the training points:
    0.25 at most, about 0 where the neurons are saturated."""
    inputs = trainer.network.inputs(trainer.data.x_train)
    with torch.no_grad():
        a = trainer.model.hidden_outputs(inputs)[0]
    return float((a * (1 - a)).mean())


def check_saturation(query: Mapping[str, str], steps: int) -> Check:
    figures: dict[str, float] = {}
    for config in _compared(query):
        trainer = Trainer(config)
        name = f"{config.input_scale:g}"
        figures[f"start_sigmoid_slope_x{name}"] = mean_sigmoid_slope(trainer)
        train(trainer, steps, snapshots=FINAL_ONLY)
        metrics = trainer.evaluate()
        figures[f"train_loss_x{name}"], figures[f"test_acc_x{name}"] = metrics.train_loss, metrics.test_acc
    return Check(figures, passed=figures["train_loss_x100"] > 3 * figures["train_loss_x1"]
                 and figures["test_acc_x100"] <= 0.65 and figures["test_acc_x1"] >= 0.8
                 and figures["start_sigmoid_slope_x100"] < figures["start_sigmoid_slope_x1"] / 4)


# ---------------------------------------------------------------- 5. vanishing gradients

VANISHING_STEPS = 300
_DEEP = RunConfig(dataset="xor", hidden_sizes=(16,) * 8)


def identical_units(trainer: Trainer) -> tuple[float, float]:
    """(largest difference between two neurons' incoming weights in any hidden layer,
    largest hidden weight): 0 and > 0 when the neurons moved, but all alike."""
    hidden = [layer.weight.detach() for layer in trainer.model.linears[:-1]]
    return (max(float((weight - weight[0]).abs().max()) for weight in hidden),
            max(float(weight.abs().max()) for weight in hidden))


def check_vanishing(query: Mapping[str, str], try_query: Mapping[str, str], steps: int) -> Check:
    figures: dict[str, float] = {}
    for config in _compared(query):
        trainer = _trained(config, steps, snapshots=PAGE_SNAPSHOTS)
        norms = trainer.history.grad_norms[-1]  # the gradient bars the page shows at the end
        figures[f"grad_ratio_first_last_{config.activation}"] = norms[0] / norms[-1]
        figures[f"test_acc_{config.activation}"] = trainer.evaluate().test_acc
    zeros = _trained(_compared(try_query)[0], steps)  # the "try next": all-zero weights, sigmoid
    figures["zero_init_unit_difference"], figures["zero_init_largest_weight"] = identical_units(zeros)
    return Check(figures, passed=figures["grad_ratio_first_last_sigmoid"] < 1e-3
                 and figures["grad_ratio_first_last_relu"] > 1e-2
                 and figures["test_acc_sigmoid"] <= 0.7 and figures["test_acc_relu"] >= 0.95
                 and figures["zero_init_unit_difference"] < 1e-6 and figures["zero_init_largest_weight"] > 0.01)


# ---------------------------------------------------------------- 6. gradient descent vs mini-batches

MINIBATCH_EPOCHS = 30
_MINIBATCH = RunConfig(dataset="circle", hidden_sizes=(8, 8), learning_rate=0.03)


def check_minibatch(query: Mapping[str, str], epochs: int) -> Check:
    figures: dict[str, float] = {}
    for config in _compared(query):
        trainer = _trained_epochs(config, epochs)
        figures[f"train_loss_batch_{config.batch_size}"] = trainer.evaluate().train_loss
        figures[f"steps_batch_{config.batch_size}"] = float(trainer.step)
    full = figures["train_loss_batch_full"]
    return Check(figures, passed=figures["train_loss_batch_10"] < full / 2 and figures["train_loss_batch_1"] < full / 2)


# ---------------------------------------------------------------- 7. better optimizers


def loss_rises(losses: np.ndarray) -> int:
    """How many steps made the loss go up: 0 for a curve that only ever falls."""
    return int((np.diff(losses) > 0).sum())


def check_optimizers(query: Mapping[str, str]) -> Check:
    race_link: RaceLink = _parsed(RaceLink, query)
    paths = race(race_link.surface, race_link.rates, race_link.start, race_link.steps)
    finals = {name: float(paths[name].losses[-1]) for name in ("sgd", "momentum", "adam")}
    complete = all(not path.diverged and len(path.losses) == race_link.steps + 1 for path in paths.values())
    rises = loss_rises(paths["momentum"].losses)
    return Check({**{f"final_loss_{name}": loss for name, loss in finals.items()}, "momentum_loss_rises": float(rises)},
                 passed=complete and rises > 0 and max(finals["momentum"], finals["adam"]) < finals["sgd"] / 100)


# ---------------------------------------------------------------- 8. overfitting and dropout

OVERFITTING_STEPS = 600
OVERFITTING_PATIENCE = 20  # epochs of early stopping's patience (2 steps each: 20 training points, batches of 10)
_FEW_NOISY_POINTS = RunConfig(dataset="circle", n_points=40, noise=0.5, hidden_sizes=(32, 32))


def check_overfitting(query: Mapping[str, str], early_query: Mapping[str, str], steps: int) -> Check:
    without, with_dropout = (_trained(config, steps, snapshots=PAGE_SNAPSHOTS).history for config in _compared(query))
    stopped = _trained(_compared(early_query)[-1], steps, snapshots=PAGE_SNAPSHOTS)
    lowest = int(np.argmin(without.test_loss))
    figures = {
        "test_loss_lowest": without.test_loss[lowest], "test_loss_end": without.test_loss[-1],
        "train_loss_at_lowest_test": without.train_loss[lowest], "train_loss_end": without.train_loss[-1],
        "gap_no_dropout": without.test_loss[-1] - without.train_loss[-1],
        "gap_dropout": with_dropout.test_loss[-1] - with_dropout.train_loss[-1],
        "early_stop_step": float(stopped.stopped_at if stopped.stopped_at is not None else stopped.step),
        "test_loss_early_stop": stopped.history.test_loss[-1],
    }
    return Check(figures, passed=figures["test_loss_end"] > 1.5 * figures["test_loss_lowest"]
                 and figures["train_loss_end"] < figures["train_loss_at_lowest_test"] and figures["train_loss_end"] < 0.15
                 and figures["gap_dropout"] < 0.6 * figures["gap_no_dropout"]
                 and stopped.stopped_early and figures["test_loss_early_stop"] < 1.2 * figures["test_loss_lowest"])


# ---------------------------------------------------------------- 9. output heads

HEADS_STEPS = 1000
_HILLS = RunConfig(dataset="gaussian_sum", n_points=400, hidden_sizes=(16, 16), learning_rate=0.03)


def check_heads(query: Mapping[str, str], try_query: Mapping[str, str], steps: int) -> Check:
    value = _trained(_parsed(RunConfig, query), steps)
    three_classes = _parsed(RunConfig, try_query)
    binary = three_classes.replace(dataset="xor")
    figures = {"test_mse": value.evaluate().test_loss, "target_variance": float(np.var(value.data.y_test)),
               "test_acc_three_blobs": _trained(three_classes, steps).evaluate().test_acc,
               "test_acc_xor": _trained(binary, steps).evaluate().test_acc}
    return Check(figures, passed=figures["test_mse"] < 0.3 * figures["target_variance"]
                 and figures["test_acc_three_blobs"] >= 0.9 and figures["test_acc_xor"] >= 0.9)


# ---------------------------------------------------------------- 10-11. MNIST and convolution

# One epoch on 5,000 images keeps each run to seconds; the test set is always all 10,000.
_MNIST = RunConfig(dataset="mnist", model="softmax", train_size=5_000, activation="relu", learning_rate=1e-3, batch_size=32)
_CNN = _MNIST.replace(model="cnn", conv_channels=(8, 16), kernel_size=5, padding="same", hidden_sizes=(64,),
                      learning_rate=2e-3)


@dataclass(frozen=True)
class ImageRun:
    """What the MNIST lessons read from a trained image run: its test accuracy, and the side
    of the picture after each CNN stage (empty for other networks)."""

    test_acc: float
    stage_sides: tuple[tuple[str, int], ...]


@lru_cache(maxsize=8)
def image_run(config: RunConfig, epochs: int) -> ImageRun:
    """Train an image run once per process (the MNIST and convolution lessons share runs)."""
    trainer = _trained_epochs(config, epochs)
    stages = feature_maps(trainer.model, trainer.data.x_test[0])
    return ImageRun(trainer.evaluate().test_acc, tuple((name, maps.shape[-1]) for name, maps in stages))


def mlp_like(config: RunConfig) -> RunConfig:
    """The MLP an MNIST lesson compares with: the same data and training as `config`, and one
    hidden layer of 128 neurons instead of its network."""
    return config.replace(model="mlp", hidden_sizes=(128,), learning_rate=_MNIST.learning_rate)


def check_mnist(query: Mapping[str, str], try_query: Mapping[str, str]) -> Check:
    softmax: MnistLink = _parsed(MnistLink, query)
    cnn: MnistLink = _parsed(MnistLink, try_query)
    figures = {"test_acc_softmax": image_run(softmax.config, softmax.epochs).test_acc,
               "test_acc_mlp": image_run(mlp_like(softmax.config), softmax.epochs).test_acc,
               "test_acc_cnn": image_run(cnn.config, cnn.epochs).test_acc}
    return Check(figures, passed=figures["test_acc_softmax"] < figures["test_acc_mlp"] < figures["test_acc_cnn"])


def check_convolution(query: Mapping[str, str]) -> Check:
    lab: MnistLink = _parsed(MnistLink, query)
    cnn = image_run(lab.config, lab.epochs)
    mlp = image_run(mlp_like(lab.config), lab.epochs)
    figures = {f"{name.replace(' ', '_')}_side": float(side) for name, side in cnn.stage_sides}
    figures.update(test_acc_cnn=cnn.test_acc, test_acc_mlp=mlp.test_acc)
    sides = [side for _, side in cnn.stage_sides]
    return Check(figures, passed=sides == [28, 14, 14, 7] and cnn.test_acc > mlp.test_acc)


# ---------------------------------------------------------------- the lessons, in the course's order


def _lessons() -> dict[str, Lesson]:
    perceptron = _compare_query(_XOR, "hidden_sizes", ("", "4"))
    on_and = _compare_query(_XOR.replace(dataset="and"), "hidden_sizes", ("", "4"))
    learning_rates = _compare_query(_PLANE, "learning_rate", ("0.003", "0.1", "2"))
    saturation = _compare_query(_SATURATION, "input_scale", ("1", "100"))
    vanishing = _compare_query(_DEEP, "activation", ("sigmoid", "relu"))
    zeros = _compare_query(_DEEP.replace(init="zeros"), "activation", ("sigmoid", "relu"))
    minibatch = _compare_query(_MINIBATCH, "batch_size", ("full", "10", "1"), align="epochs")
    optimizers = MappingProxyType(RaceLink("rosenbrock").to_query())
    overfitting = _compare_query(_FEW_NOISY_POINTS, "dropout", ("0", "0.5"))
    early_stopping = _compare_query(_FEW_NOISY_POINTS, "early_stopping", ("0", str(OVERFITTING_PATIENCE)))
    heads = MappingProxyType(_HILLS.to_query())
    three_blobs = MappingProxyType(_HILLS.replace(dataset="three_blobs").to_query())
    mnist = MappingProxyType(MnistLink(_MNIST, epochs=1).to_query())
    convolution = MappingProxyType(MnistLink(_CNN, epochs=1).to_query())
    # Above each lesson: the predict-first question the UI asks and its choices, the right one
    # (index `answer`) starred; the texts themselves live with the UI (playground/texts).
    lessons = [
        # Can a network with no hidden layer learn XOR?
        # [Yes, it just needs more steps | *No: one straight line cannot separate XOR | Only with a larger learning rate]
        Lesson("perceptron", 1, "compare", perceptron,
               "On XOR a network with no hidden layer stays at or below 80% test accuracy while one hidden layer of 4 "
               "reaches at least 95%; on AND the no-hidden-layer perceptron reaches at least 95%.",
               partial(check_perceptron, perceptron, on_and, PERCEPTRON_STEPS), PERCEPTRON_STEPS, 1, on_and),
        # After one backward pass, which way does w1 = 0.9 move?
        # [*Up: the output 0.7408 is below the target 1 | Down | It stays the same]
        Lesson("backprop", 2, "backprop", MappingProxyType({}),
               "With inputs 1.0 and 0.5 and weights 0.9 and 0.3, autograd gives z = 1.05 and sigmoid(z) = 0.7408; one "
               "SGD update raises w1 and lowers the loss.",
               check_backprop, STEP_IDS.index("w1_new") + 1, 0),
        # Which learning rate ends with the lowest loss?
        # [The smallest: careful steps | *The middle one | The largest: the biggest steps]
        Lesson("learning_rate", 3, "compare", learning_rates,
               "Fitting a noisy plane with SGD, learning rate 2 diverges (NaN/inf), while after 200 steps 0.003 still "
               "has more than 3 times the test error of 0.1, which is within twice the noise floor.",
               partial(check_learning_rate, learning_rates, LEARNING_RATE_STEPS), LEARNING_RATE_STEPS, 1,
               _compare_query(_PLANE.replace(optimizer="adam"), "learning_rate", ("0.003", "0.1", "2"))),
        # Which learns faster with sigmoid neurons?
        # [The inputs x100: bigger signals | *The inputs of about ±1 | Both the same]
        Lesson("saturation", 4, "compare", saturation,
               "With inputs x100 the sigmoid neurons start saturated (mean slope under a quarter of the unscaled run's) "
               "and after 500 steps their test accuracy stays at or below 65% and the training loss above 3 times the "
               "unscaled run's, which reaches at least 80%.",
               partial(check_saturation, saturation, SATURATION_STEPS), SATURATION_STEPS, 1,
               _compare_query(_SATURATION.replace(standardize=True), "input_scale", ("1", "100"))),
        # In the deep sigmoid net, which layer's gradient is smallest?
        # [*The first layer (nearest the input) | The last layer (nearest the output) | All about the same]
        Lesson("vanishing", 5, "compare", vanishing,
               "In 8 hidden layers the first layer's gradient is under 1/1000 of the last one's with sigmoid but over "
               "1/100 with ReLU, so after 300 steps sigmoid stays at or below 70% test accuracy while ReLU reaches 95%; "
               "and with all-zero weights every neuron of a layer stays identical.",
               partial(check_vanishing, vanishing, zeros, VANISHING_STEPS), VANISHING_STEPS, 0, zeros),
        # After the same number of epochs, which gets further?
        # [Full batch: exact gradients | *Mini-batches | They end the same]
        Lesson("minibatch", 6, "compare", minibatch,
               "After 30 epochs, mini-batches of 10 and of 1 each reach less than half the training loss of full-batch "
               "gradient descent.",
               # By epochs, Compare measures a lesson's progress in epochs.
               partial(check_minibatch, minibatch, MINIBATCH_EPOCHS), MINIBATCH_EPOCHS, 1,
               _compare_query(_MINIBATCH, "batch_size", ("full", "10", "1"))),
        # Which optimizer crawls slowest down the long, narrow valley?
        # [*Plain SGD | Momentum | Adam]
        Lesson("optimizers", 7, "race", optimizers,
               "In Rosenbrock's valley, with each optimizer's own rate, Momentum and Adam end over 100 times lower than "
               "plain SGD after 400 steps, and Momentum's loss goes up at some steps (it overshoots) yet ends far lower.",
               partial(check_optimizers, optimizers), RaceLink("rosenbrock").steps, 0,
               MappingProxyType(RaceLink("saddle").to_query())),
        # Without dropout, what does the test loss do as training goes on?
        # [It keeps falling with the train loss | *It turns up while the train loss keeps falling | It stays flat]
        Lesson("overfitting", 8, "compare", overfitting,
               "On 20 noisy training points, without dropout the training loss keeps falling (below 0.15) while the "
               "test loss ends over 1.5 times its lowest; dropout 0.5 shrinks the train/test gap below 60% of that; "
               "early stopping (patience 20 epochs) ends the run with a test loss within 20% of that lowest.",
               partial(check_overfitting, overfitting, early_stopping, OVERFITTING_STEPS), OVERFITTING_STEPS, 1,
               early_stopping),
        # To predict a number, what should the output be?
        # [*Raw output (no activation) with squared error | Sigmoid with cross-entropy | Softmax over classes]
        Lesson("heads", 9, "playground", heads,
               "A raw output with squared error learns the hills' heights to a test error under 30% of their variance; "
               "the same network with a softmax head reaches 90% on three classes, and with a sigmoid head 90% on XOR.",
               partial(check_heads, heads, three_blobs, HEADS_STEPS), HEADS_STEPS, 0, three_blobs),
        # Which recognises handwritten digits best?
        # [Softmax (one layer) | MLP (hidden layers) | *CNN (convolutions)]
        Lesson("mnist", 10, "mnist", mnist,
               "After one epoch on 5,000 digits, test accuracy rises from softmax to an MLP to a CNN.",
               partial(check_mnist, mnist, convolution), 1, 2, convolution),
        # A 28x28 image goes through a 5x5 convolution with zero padding, then 2x2 max pooling. What size comes out?
        # [28x28 | 24x24 | *14x14]
        Lesson("convolution", 11, "mnist", convolution,
               "With zero (same) padding each convolution keeps the picture's size and each 2x2 max pooling halves it "
               "(28 -> 28 -> 14 -> 14 -> 7), and the CNN beats the MLP after one epoch.",
               partial(check_convolution, convolution), 1, 2,
               MappingProxyType(MnistLink(_CNN.replace(convs_per_block=2, kernel_size=3), epochs=1).to_query())),
    ]
    return {lesson.id: lesson for lesson in lessons}


LESSONS: dict[str, Lesson] = _lessons()


def check_all(ids: Sequence[str] | None = None) -> list[tuple[Lesson, Check]]:
    """Run the claims of the lessons `ids` (default: all, in the course's order)."""
    unknown = [lesson_id for lesson_id in ids or () if lesson_id not in LESSONS]
    if unknown:
        raise KeyError(f"unknown lesson(s) {', '.join(unknown)}; choose from: {', '.join(LESSONS)}")
    return [(LESSONS[lesson_id], LESSONS[lesson_id].check()) for lesson_id in (ids or LESSONS)]
