"""The sidebar: one widget per `RunConfig` field, read back into a `RunConfig`.

Widgets keep their values in session state under `cfg.<field>`; `load_config` writes a
config into those keys (from a shared link, or a lesson) before the widgets are drawn.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.core.config import FULL_BATCH, MAX_HIDDEN_LAYERS, MAX_LAYER_WIDTH, MAX_PATIENCE, ConfigError, RunConfig
from engine.core.datasets import DATASETS, FEATURES, OWN
from engine.core.models import ACTIVATIONS, INITS
from engine.core.optimizers import OPTIMIZERS
from engine.core.trainer import Trainer
from playground import labels, own_data, urls, viewer
from playground.i18n import t
from playground.problems import say

# Choices offered by the sliders; a value from a link that is not among them is added.
CHOICES: dict[str, list[Any]] = {
    "n_points": [50, 100, 200, 300, 500, 1000, 2000],
    "input_scale": [0.1, 1.0, 10.0, 100.0],
    "init_std": [0.01, 0.1, 0.5, 1.0, 2.0],
    "learning_rate": [1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0, 3.0, 10.0],
    "batch_size": [1, 2, 5, 10, 20, 50, 100, FULL_BATCH],
    "weight_decay": [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1],
}
DEFAULT_NEW_LAYER_WIDTH = 4
MAX_DROPOUT_SHOWN = 0.9  # the slider's end; a link may bring more (up to RunConfig's < 1), and the slider then reaches it

# The toolbar's keys on the 2D page and Compare: Space plays or pauses, the right arrow steps
# (as the Backprop page's arrows step; Streamlit leaves a key alone while a field is being typed in).
PLAY_KEY = "Space"
STEP_KEY = "Right"


def key(field: str) -> str:
    return f"cfg.{field}"


def _width_key(layer: int) -> str:
    return f"cfg.width.{layer}"


def load_config(config: RunConfig) -> None:
    """Set every widget to `config` (call before the widgets are drawn)."""
    for name, value in vars(config).items():
        if name != "hidden_sizes":
            st.session_state[key(name)] = list(value) if name == "features" else value
    st.session_state["cfg.layers"] = len(config.hidden_sizes)
    for layer, width in enumerate(config.hidden_sizes):
        st.session_state[_width_key(layer)] = width


def _choices(field: str) -> list[Any]:
    """The slider's choices, including the current value if it came from elsewhere."""
    options = CHOICES[field]
    current = st.session_state.get(key(field))
    if current is None or current in options:
        return options
    numbers = sorted([o for o in options if o != FULL_BATCH] + [current])
    return numbers + ([FULL_BATCH] if FULL_BATCH in options else [])


def _feature_label(name: str) -> str:
    return t(f"live.feature.{name}", "en")  # as the network diagram names its inputs (the same in every language)


def _number_label(value: Any) -> str:
    return value if isinstance(value, str) else f"{value:g}"


def _take_optimizer_default_rate() -> None:
    st.session_state[key("learning_rate")] = OPTIMIZERS[st.session_state[key("optimizer")]].default_lr


def sidebar() -> RunConfig | None:
    """Draw the settings and return the config they describe (None if it is invalid,
    after showing why)."""
    urls.keep_widget_values([k for k in st.session_state if isinstance(k, str) and k.startswith("cfg.")])
    if viewer.presenting():  # presenter mode draws no sidebar: the settings stay as they were
        return _config([st.session_state[_width_key(layer)] for layer in range(int(st.session_state["cfg.layers"]))])
    with st.sidebar:
        st.subheader(t("controls.data"))
        dataset = st.selectbox(labels.FIELDS["dataset"], [*DATASETS, OWN], key=key("dataset"),
                               format_func=labels.DATASETS.format())
        if dataset == OWN:  # drawn or uploaded: no noise added, as many points as there are
            own_data.panel()
        else:
            st.slider(labels.FIELDS["noise"], 0.0, 1.0, step=0.05, key=key("noise"), help=t("controls.noise_help"))
            st.select_slider(labels.FIELDS["n_points"], _choices("n_points"), key=key("n_points"))
        st.slider(labels.FIELDS["test_fraction"], 0.1, 0.9, step=0.05, key=key("test_fraction"),
                  help=t("controls.test_fraction_help"))
        st.toggle(labels.FIELDS["standardize"], key=key("standardize"), help=t("controls.standardize_help"))
        st.select_slider(labels.FIELDS["input_scale"], _choices("input_scale"), key=key("input_scale"),
                         format_func=_number_label, help=t("controls.input_scale_help"))
        st.multiselect(labels.FIELDS["features"], list(FEATURES), key=key("features"), format_func=_feature_label,
                       help=t("controls.features_help"))

        st.subheader(t("controls.network"))
        layers = st.number_input(labels.FIELDS["hidden_sizes"], 0, MAX_HIDDEN_LAYERS, key="cfg.layers",
                                 help=t("controls.layers_help"))
        columns = st.columns(3)
        widths = []
        for layer in range(int(layers)):
            previous = st.session_state.get(_width_key(layer - 1), DEFAULT_NEW_LAYER_WIDTH)
            st.session_state.setdefault(_width_key(layer), previous)
            with columns[layer % 3]:
                widths.append(st.number_input(t("controls.layer", n=layer + 1), 1, MAX_LAYER_WIDTH, key=_width_key(layer),
                                              help=t("controls.layer_help")))
        st.selectbox(labels.FIELDS["activation"], list(ACTIVATIONS), key=key("activation"),
                     format_func=labels.ACTIVATIONS.format())
        st.selectbox(labels.FIELDS["init"], list(INITS), key=key("init"), format_func=labels.INITS.format(),
                     help=t("controls.init_help"))
        if st.session_state[key("init")] == "normal":
            st.select_slider(labels.FIELDS["init_std"], _choices("init_std"), key=key("init_std"), format_func=_number_label)
        st.slider(labels.FIELDS["dropout"], 0.0, max(MAX_DROPOUT_SHOWN, st.session_state.get(key("dropout"), 0.0)),
                  step=0.05, key=key("dropout"), help=t("controls.dropout_help"))

        st.subheader(t("controls.training"))
        st.selectbox(labels.FIELDS["optimizer"], list(OPTIMIZERS), key=key("optimizer"), format_func=labels.OPTIMIZERS.format(),
                     on_change=_take_optimizer_default_rate, help=t("controls.optimizer_help"))
        st.select_slider(labels.FIELDS["learning_rate"], _choices("learning_rate"), key=key("learning_rate"),
                         format_func=_number_label)
        st.select_slider(labels.FIELDS["batch_size"], _choices("batch_size"), key=key("batch_size"), format_func=_number_label,
                         help=t("controls.batch_help"))
        st.select_slider(labels.FIELDS["weight_decay"], _choices("weight_decay"), key=key("weight_decay"),
                         format_func=_number_label)
        st.number_input(labels.FIELDS["early_stopping"], 0, MAX_PATIENCE, key=key("early_stopping"),
                        help=t("controls.early_stopping_help"))
        st.number_input(labels.FIELDS["seed"], 0, 2**31 - 1, key=key("seed"), help=t("controls.seed_help"))
    return _config(widths)


def _config(widths: list[int]) -> RunConfig | None:
    values = {name: st.session_state[key(name)] for name in RunConfig.__dataclass_fields__ if name != "hidden_sizes"}
    values["own_points"] = own_data.config_points(values["dataset"])  # the board, once it has enough points
    try:
        return RunConfig(**values, hidden_sizes=tuple(int(w) for w in widths))
    except ConfigError as error:
        st.error(t("controls.invalid", error=say(error)))
        return None


def stopped_early(trainer: Trainer, epochs: bool = False) -> str:
    """What a page says of a run that early stopping ended, in its language ("" for any other run):
    where it stopped and where its test loss was lowest, by step (or by epoch on the MNIST lab)."""
    if not trainer.stopped_early or trainer.best is None:
        return ""
    patience = trainer.config.early_stopping
    return t("controls.stopped_early_epochs" if epochs else "controls.stopped_early",
             patience=t("controls.epochs_one" if patience == 1 else "controls.epochs_many", n=patience),
             step=trainer.stopped_at, epoch=round(trainer.epoch, 2), best_step=trainer.best.step,
             best_epoch=round(trainer.best.epoch, 2),
             loss=trainer.best.test_loss)
