"""Backprop by hand: the engine's numbers are the course's, and its gradients are right."""

import math

import pytest

from engine.core.config import ConfigError
from engine.experiments.backprop import (
    COURSE_EXAMPLE,
    MAX_PASSES,
    STEP_IDS,
    WorkedExample,
    backprop_pass,
    number,
    passes,
    train_again,
)

H = 1e-6  # finite-difference step: float64 leaves central differences good to ~1e-10 here


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def loss_of(example: WorkedExample) -> float:
    return backprop_pass(example).loss


def test_the_forward_pass_gives_the_courses_numbers():
    backprop = backprop_pass()
    assert backprop.value("z") == pytest.approx(1.05, abs=1e-12)
    assert round(backprop.value("a"), 4) == 0.7408
    assert backprop.loss == backprop.value("loss") == pytest.approx(0.5 * (1 - sigmoid(1.05)) ** 2, rel=1e-12)


def test_the_course_example_is_the_default():
    assert (COURSE_EXAMPLE.x1, COURSE_EXAMPLE.x2, COURSE_EXAMPLE.w1, COURSE_EXAMPLE.w2) == (1.0, 0.5, 0.9, 0.3)
    assert COURSE_EXAMPLE.target == 1.0 and COURSE_EXAMPLE.learning_rate == 0.5
    assert backprop_pass().example == COURSE_EXAMPLE


def test_steps_go_forward_then_backward_then_update():
    steps = backprop_pass().steps
    assert tuple(step.id for step in steps) == STEP_IDS
    assert [step.phase for step in steps] == ["forward"] * 3 + ["backward"] * 5 + ["update"] * 2


def test_the_formulas_show_the_courses_numbers():
    steps = {step.id: step for step in backprop_pass().steps}
    assert steps["z"].substituted == "0.9 · 1.0 + 0.3 · 0.5" and number(steps["z"].value) == "1.05"
    assert steps["a"].substituted == "1 / (1 + e^(−1.05))" and number(steps["a"].value) == "0.7408"
    assert steps["dL_da"].substituted == "0.7408 − 1.0" and number(steps["dL_da"].value) == "−0.2592"
    assert steps["w1_new"].substituted == "0.9 − 0.5 · (−0.0498)" and number(steps["w1_new"].value) == "0.9249"


def redo_on_paper(substituted: str) -> float:
    """Evaluate a step's formula-with-numbers the way a student would, from the text alone."""
    arithmetic = (substituted.replace("·", "*").replace("−", "-").replace("½", "0.5").replace("²", "**2")
                  .replace("e^", "math.exp"))
    return eval(arithmetic, {"math": math})


@pytest.mark.parametrize("example", [COURSE_EXAMPLE, WorkedExample(x1=-2.0, x2=0.25, w1=0.4, w2=-1.5, target=0.0)])
def test_redoing_each_formula_by_hand_gives_its_value(example):
    for step in backprop_pass(example).steps:
        # The text shows numbers rounded to four decimals, so the hand result agrees to about that.
        assert redo_on_paper(step.substituted) == pytest.approx(step.value, abs=1e-3), step.id


@pytest.mark.parametrize("example", [COURSE_EXAMPLE, WorkedExample(x1=-2.0, x2=0.25, w1=0.4, w2=-1.5, target=0.0),
                                     WorkedExample(x1=3.0, x2=-1.0, w1=-0.7, w2=0.2, target=0.6)])
def test_weight_gradients_equal_finite_differences(example):
    backprop = backprop_pass(example)
    for weight in ("w1", "w2"):
        value = getattr(example, weight)
        slope = (loss_of(example.replace(**{weight: value + H})) - loss_of(example.replace(**{weight: value - H}))) / (2 * H)
        assert backprop.value(f"dL_d{weight}") == pytest.approx(slope, rel=1e-6, abs=1e-10)


@pytest.mark.parametrize("example", [COURSE_EXAMPLE, WorkedExample(x1=3.0, x2=-1.0, w1=-0.7, w2=0.2, target=0.6)])
def test_gradients_at_z_and_a_equal_finite_differences(example):
    backprop = backprop_pass(example)
    z, a, t = backprop.value("z"), backprop.value("a"), example.target

    def loss_at_z(z):
        return 0.5 * (t - sigmoid(z)) ** 2

    def loss_at_a(a):
        return 0.5 * (t - a) ** 2

    assert backprop.value("dL_dz") == pytest.approx((loss_at_z(z + H) - loss_at_z(z - H)) / (2 * H), rel=1e-6)
    assert backprop.value("dL_da") == pytest.approx((loss_at_a(a + H) - loss_at_a(a - H)) / (2 * H), rel=1e-6)
    assert backprop.value("da_dz") == pytest.approx((sigmoid(z + H) - sigmoid(z - H)) / (2 * H), rel=1e-6)


def test_the_local_derivative_is_a_times_one_minus_a_and_autograds_ratio():
    backprop = backprop_pass()
    a = backprop.value("a")
    assert backprop.value("da_dz") == pytest.approx(a * (1 - a), rel=1e-12)
    assert backprop.value("da_dz") == pytest.approx(backprop.value("dL_dz") / backprop.value("dL_da"), rel=1e-12)
    assert backprop.value("dL_da") == pytest.approx(a - 1.0, rel=1e-12)


def test_the_chain_rule_multiplies_along_the_path():
    backprop = backprop_pass()
    dL_dz = backprop.value("dL_dz")
    assert dL_dz == pytest.approx(backprop.value("dL_da") * backprop.value("da_dz"), rel=1e-12)
    assert backprop.value("dL_dw1") == pytest.approx(dL_dz * 1.0, rel=1e-12)
    assert backprop.value("dL_dw2") == pytest.approx(dL_dz * 0.5, rel=1e-12)


@pytest.mark.parametrize("learning_rate", [0.5, 1.0, 0.05])
def test_each_weight_moves_against_its_gradient_by_eta_times_it(learning_rate):
    backprop = backprop_pass(COURSE_EXAMPLE.replace(learning_rate=learning_rate))
    for weight in ("w1", "w2"):
        expected = getattr(COURSE_EXAMPLE, weight) - learning_rate * backprop.value(f"dL_d{weight}")
        assert backprop.value(f"{weight}_new") == pytest.approx(expected, rel=1e-12)
        assert getattr(backprop.updated, weight) == backprop.value(f"{weight}_new")
    # the output is below the target, so both gradients are negative and both weights grow
    assert backprop.updated.w1 > COURSE_EXAMPLE.w1 and backprop.updated.w2 > COURSE_EXAMPLE.w2


@pytest.mark.parametrize("example", [COURSE_EXAMPLE, WorkedExample(target=0.0), WorkedExample(x1=-2.0, w2=-1.5, target=0.3)])
def test_the_update_lowers_the_loss(example):
    backprop = backprop_pass(example)
    assert backprop.loss_after < backprop.loss
    assert train_again(backprop).loss == pytest.approx(backprop.loss_after, rel=1e-12)


def test_training_again_from_the_new_weights_keeps_lowering_the_loss():
    history = passes(COURSE_EXAMPLE, 5)
    assert len(history) == 5
    assert history[1].example == history[0].updated
    losses = [backprop.loss for backprop in history]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert history[1].example.x1 == 1.0 and history[1].example.learning_rate == 0.5  # only the weights change


@pytest.mark.parametrize("bad", [
    {"x1": math.nan}, {"x2": math.inf}, {"w1": -math.inf}, {"w2": "0.3"}, {"x1": True}, {"w1": 100.5},
    {"target": 1.5}, {"target": -0.1}, {"target": math.nan},
    {"learning_rate": 0.0}, {"learning_rate": -0.5}, {"learning_rate": 1000.0}, {"learning_rate": math.nan},
])
def test_bad_numbers_are_refused_with_a_message(bad):
    name = next(iter(bad))
    with pytest.raises(ConfigError, match=name):
        WorkedExample(**bad)


@pytest.mark.parametrize("count", [0, MAX_PASSES + 1])
def test_the_number_of_passes_is_capped(count):
    with pytest.raises(ConfigError, match="count"):
        passes(COURSE_EXAMPLE, count)


@pytest.mark.parametrize(("value", "text"), [
    (1.05, "1.05"), (1.0, "1.0"), (0.740774899, "0.7408"), (-0.0497783, "−0.0498"), (-0.00001, "0.0"), (12.0, "12.0"),
])
def test_numbers_show_four_decimals_without_trailing_zeros(value, text):
    assert number(value) == text
