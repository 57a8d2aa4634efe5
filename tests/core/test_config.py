import pytest

from engine.core.config import FIELDS, MAX_HIDDEN_LAYERS, MAX_LAYER_WIDTH, ConfigError, RunConfig
from engine.core.optimizers import OPTIMIZERS


def test_defaults_are_valid_and_take_the_optimizers_learning_rate():
    assert RunConfig().learning_rate == OPTIMIZERS["adam"].default_lr
    assert RunConfig(optimizer="sgd").learning_rate == OPTIMIZERS["sgd"].default_lr
    assert RunConfig().replace(optimizer="adadelta").learning_rate == OPTIMIZERS["adadelta"].default_lr


def test_an_image_run_takes_its_optimizers_learning_rate_for_images():
    for name, spec in OPTIMIZERS.items():
        images = RunConfig(dataset="mnist", optimizer=name)
        assert images.learning_rate == spec.image_lr and "learning_rate" not in images.to_query()
        assert RunConfig(optimizer=name).learning_rate == spec.default_lr
        assert RunConfig.from_query(images.to_query())[0] == images  # a link without a rate means the images' own
    assert RunConfig(dataset="mnist").learning_rate == 1e-3 < OPTIMIZERS["adam"].default_lr  # Adam on MNIST
    swapped = RunConfig(dataset="mnist", learning_rate=0.01).replace(optimizer="sgd")
    assert swapped.learning_rate == OPTIMIZERS["sgd"].image_lr


@pytest.mark.parametrize(
    "changes, mentions",
    [
        ({"dataset": "mnistt"}, "choose one of"),
        ({"activation": "swish"}, "activation"),
        ({"init": "orthogonal"}, "init"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": "half"}, "batch_size"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"hidden_sizes": (4, 0)}, "1 to"),
        ({"hidden_sizes": (MAX_LAYER_WIDTH + 1,)}, "1 to"),
        ({"hidden_sizes": (4,) * (MAX_HIDDEN_LAYERS + 1)}, "at most"),
        ({"hidden_sizes": (4.5,)}, "whole numbers"),
        ({"n_points": 5}, "n_points"),
        ({"noise": 2.0}, "noise"),
        ({"test_fraction": 0.95}, "test_fraction"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"seed": -1}, "seed"),
        ({"input_scale": 0.0}, "input_scale"),
        ({"features": ()}, "one or more"),
        ({"features": ("x1", "x3")}, "x1sq"),
        ({"features": ("x1", "x2", "x1")}, "once"),
    ],
)
def test_every_invalid_value_raises_config_error_saying_what_is_allowed(changes, mentions):
    with pytest.raises(ConfigError, match=mentions):
        RunConfig(**changes)


@pytest.mark.parametrize(
    "text",
    [{"hidden_sizes": "4,x"}, {"batch_size": "ten"}, {"learning_rate": "fast"}, {"standardize": "maybe"}, {"colour": "red"}],
)
def test_malformed_text_values_raise_config_error(text):
    with pytest.raises(ConfigError):
        RunConfig.from_dict(text)


def test_text_forms_parse_like_the_cli_and_url_write_them():
    config = RunConfig.from_dict({"hidden_sizes": "8, 8", "batch_size": "full", "standardize": "1", "learning_rate": "0.5"})
    assert config.hidden_sizes == (8, 8) and config.full_batch and config.standardize
    assert config.learning_rate == 0.5
    assert RunConfig.from_dict({"hidden_sizes": ""}).hidden_sizes == ()


def test_dict_and_query_round_trip_to_the_same_config():
    config = RunConfig(dataset="spirals", hidden_sizes=(8, 6), activation="relu", optimizer="momentum",
                       batch_size="full", standardize=True, dropout=0.2, seed=9, features=("x1", "x2", "sin_x1"))
    assert RunConfig.from_dict(config.to_dict()) == config
    restored, warnings = RunConfig.from_query(config.to_query())
    assert restored == config and warnings == []


def test_query_omits_defaults_so_links_stay_short():
    assert RunConfig(seed=4).to_query() == {"dataset": "xor", "seed": "4"}


def test_bad_link_values_fall_back_to_defaults_with_warnings():
    config, warnings = RunConfig.from_query({"dataset": "circle", "learning_rate": "-3", "activation": "swish", "zoom": "2"})
    assert config.dataset == "circle"
    assert config.learning_rate == RunConfig().learning_rate and config.activation == RunConfig().activation
    assert len(warnings) == 3 and any("zoom" in str(w) for w in warnings) and any("swish" in str(w) for w in warnings)


def test_every_field_has_a_cli_flag_and_help():
    flags = [f.metadata["flag"] for f in FIELDS.values()]
    assert len(set(flags)) == len(flags)
    assert all(f.metadata["help"] for f in FIELDS.values())


def test_image_settings_round_trip_and_are_json_ready():
    config = RunConfig(dataset="mnist", model="cnn", conv_channels=(16, 32), convs_per_block=2, kernel_size=3,
                       hidden_sizes=(128,), train_size=1000)
    values = config.to_dict()
    assert values["conv_channels"] == [16, 32] and values["hidden_sizes"] == [128]
    assert RunConfig.from_dict(values) == config
    assert RunConfig.from_query(config.to_query()) == (config, [])


@pytest.mark.parametrize(
    "changes, mentions",
    [
        ({"dataset": "xor", "model": "cnn"}, "needs image data"),
        ({"dataset": "mnist", "model": "cnn", "conv_channels": (8, 8, 8), "padding": "valid"}, "to nothing"),
        ({"dataset": "mnist", "model": "cnn", "conv_channels": (8,) * 4}, "blocks"),
        ({"dataset": "mnist", "model": "cnn", "kernel_size": 4}, "kernel_size"),
        ({"dataset": "mnist", "model": "cnn", "padding": "full"}, "padding"),
        ({"dataset": "mnist", "train_size": 50}, "train_size"),
        ({"dataset": "mnist", "hidden_sizes": (1024,)}, "1 to 512"),
        ({"model": "transformer"}, "model"),
    ],
)
def test_invalid_image_settings_raise_config_error(changes, mentions):
    with pytest.raises(ConfigError, match=mentions):
        RunConfig(**changes)


def test_softmax_model_has_no_hidden_layers_and_wide_layers_are_fine_for_images():
    assert RunConfig(dataset="mnist", model="softmax", hidden_sizes=(64,)).hidden_sizes == ()
    assert RunConfig(dataset="mnist", hidden_sizes=(256, 128)).hidden_sizes == (256, 128)


def test_features_have_a_text_form_and_are_left_out_of_links_when_default():
    config = RunConfig.from_dict({"dataset": "circle", "features": "x1sq, x2sq,x1x2"})
    assert config.features == ("x1sq", "x2sq", "x1x2") and config.to_dict()["features"] == ["x1sq", "x2sq", "x1x2"]
    assert config.to_query() == {"dataset": "circle", "features": "x1sq,x2sq,x1x2"}
    assert RunConfig.from_query(config.to_query()) == (config, [])
    assert RunConfig(features=["x1", "x2"]).to_query() == {"dataset": "xor"}  # a list is the default too


def test_a_bad_features_link_falls_back_to_x1_x2():
    config, warnings = RunConfig.from_query({"dataset": "circle", "features": "x1,cos_x1"})
    assert config.features == ("x1", "x2") and len(warnings) == 1 and "features" in str(warnings[0])


@pytest.mark.parametrize("dataset, task", [("xor", "binary"), ("three_blobs", "multiclass"), ("plane", "regression"),
                                           ("gaussian_sum", "regression"), ("mnist", "multiclass")])
def test_the_config_knows_its_task_before_any_data_is_made(dataset, task):
    assert RunConfig(dataset=dataset).task == task
