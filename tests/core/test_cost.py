"""What a run costs, and the caps that keep one student's run from slowing the class."""

import pytest
from torch.utils.flop_counter import FlopCounterMode

from engine.core import cost
from engine.core.config import ConfigError, RunConfig
from engine.core.trainer import Trainer
from engine.course.lessons import LESSONS
from engine.course.links import CompareLink, MnistLink
from engine.course.presets import MNIST_PRESETS

MONSTER_CNN = dict(dataset="mnist", model="cnn", conv_channels=(64, 64, 64), convs_per_block=2,
                   hidden_sizes=(512,) * 10)


@pytest.mark.parametrize("config", [
    RunConfig(dataset="xor", hidden_sizes=(8, 8), features=("x1", "x2", "x1sq")),
    RunConfig(dataset="three_blobs", hidden_sizes=(5,)),
    RunConfig(dataset="mnist", model="softmax"),
    RunConfig(dataset="mnist", model="cnn", conv_channels=(4, 8), hidden_sizes=(16,)),
    RunConfig(dataset="mnist", model="cnn", conv_channels=(4, 8), convs_per_block=2, kernel_size=3, padding="valid"),
], ids=["mlp", "three_classes", "softmax", "cnn", "cnn_valid"])
def test_forward_work_is_the_multiply_adds_torch_counts(config):
    trainer = Trainer(config.replace(train_size=100) if config.images else config)
    x = trainer._x_train[:1]
    with FlopCounterMode(display=False) as counter:
        trainer.model(x)
    assert cost.forward_work(config) == counter.get_total_flops() // 2  # a multiply-add is two flops


def test_one_step_of_a_huge_image_batch_or_network_is_refused_saying_what_fits():
    with pytest.raises(ConfigError, match="512 at most"):
        RunConfig(dataset="mnist", train_size=60_000, batch_size="full")
    with pytest.raises(ConfigError, match="mini-batch of at most 24") as error:
        RunConfig(**MONSTER_CNN, batch_size=256)
    assert error.value.problem.code == "step_work_cap"
    RunConfig(**MONSTER_CNN, batch_size=16)  # the same network in small batches is allowed


def test_every_preset_lesson_and_sidebar_default_is_within_the_caps():
    for preset in MNIST_PRESETS.values():
        MnistLink(preset.config, preset.epochs)  # 60,000 images, the preset's own epochs
        MnistLink(preset.config.replace(train_size=10_000), 20)  # the lab's class size, the most epochs offered
    for lesson in LESSONS.values():
        for query in (lesson.query, lesson.try_query):
            if query and lesson.page == "compare":
                assert CompareLink.from_query(query)[1] == []
            if query and lesson.page == "mnist":
                assert MnistLink.from_query(query)[1] == []
    # Compare's sidebar at its largest: 4 runs x 16 seeds of 10 layers of 64 on 2,000 points.
    CompareLink(RunConfig(n_points=2_000, hidden_sizes=(64,) * 10, batch_size=100), "activation",
                ("tanh", "relu", "sigmoid", "elu"), seeds=16)


def test_one_click_of_the_mnist_lab_is_capped_and_a_link_beyond_it_is_clamped():
    cnn = MNIST_PRESETS["cnn"].config
    assert 4 <= cost.max_epochs(cnn) < 20
    with pytest.raises(ConfigError) as error:
        MnistLink(cnn, 20)
    assert error.value.problem.code == "click_work_cap" and error.value.problem.params["high"] == cost.max_epochs(cnn)
    link, warnings = MnistLink.from_query({**cnn.to_query(), "epochs": "20"})
    assert link.epochs == cost.max_epochs(cnn) and [w.code for w in warnings] == ["epochs_clamped"]

    query = {"model": "cnn", "conv_channels": "64,64,64", "convs_per_block": "2", "hidden_sizes": ",".join(["512"] * 10),
             "train_size": "60000", "batch_size": "full"}
    link, warnings = MnistLink.from_query(query)
    assert [w.code for w in warnings] == ["invalid_setting", "train_size_clamped"]
    assert link.config.batch_size == RunConfig().batch_size and 100 <= link.config.train_size < 60_000
    assert cost.epoch_work(link.config) <= cost.MAX_CLICK_WORK


def test_a_comparison_beyond_the_caps_keeps_its_runs_but_not_the_seeds():
    query = {"vary": "batch_size", "values": "1|full|2|3", "seeds": "16", "n_points": "5000", "test_fraction": "0.1",
             "hidden_sizes": ",".join(["64"] * 10)}
    link, warnings = CompareLink.from_query(query)
    assert link.values == ("1", "full", "2", "3") and link.seeds == 1
    assert [w.params["problem"].code for w in warnings] == ["compare_points_cap"]
    with pytest.raises(ConfigError) as error:
        CompareLink(RunConfig(n_points=2_000, test_fraction=0.1, hidden_sizes=(64,) * 10, batch_size="full"),
                    "activation", ("tanh", "relu", "sigmoid", "elu"), seeds=16)
    assert error.value.problem.code == "compare_work_cap"


def test_the_cli_refuses_a_run_beyond_the_caps_with_the_same_message(capsys):
    from engine.cli import main

    assert main(["train", "--dataset", "mnist", "--batch-size", "full", "--train-size", "60000", "--steps", "1"]) == 2
    assert "512 at most" in capsys.readouterr().err


@pytest.mark.parametrize("query", [
    # One epoch's last, partial batch costs a whole step: the clamped count is checked, not estimated.
    {"model": "cnn", "conv_channels": "33,48", "convs_per_block": "2", "kernel_size": "5",
     "hidden_sizes": "241,501,139,107", "batch_size": "42", "train_size": "60000"},
    # A tiny network in batches of one: a million steps cost more than their products.
    {"model": "cnn", "conv_channels": "1", "hidden_sizes": "1", "batch_size": "1", "train_size": "60000", "epochs": "20"},
])
def test_clamped_mnist_links_fit_one_click(query):
    link, warnings = MnistLink.from_query(query)
    assert warnings and link.epochs * cost.epoch_work(link.config) <= cost.MAX_CLICK_WORK
    assert link.epochs * cost.epoch_work(link.config) / cost.step_work(link.config) < 500_000  # steps in one click
