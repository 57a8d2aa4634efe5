"""The sidebar: one widget per `RunConfig` field, read back into a `RunConfig`.

Widgets keep their values in session state under `cfg.<field>`; `load_config` writes a
config into those keys (from a shared link, or a lesson) before the widgets are drawn.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.config import FULL_BATCH, MAX_HIDDEN_LAYERS, MAX_LAYER_WIDTH, ConfigError, RunConfig
from engine.datasets import DATASETS
from engine.models import ACTIVATIONS, INITS
from engine.optimizers import OPTIMIZERS
from playground import labels

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


def key(field: str) -> str:
    return f"cfg.{field}"


def _width_key(layer: int) -> str:
    return f"cfg.width.{layer}"


def load_config(config: RunConfig) -> None:
    """Set every widget to `config` (call before the widgets are drawn)."""
    for name, value in vars(config).items():
        if name != "hidden_sizes":
            st.session_state[key(name)] = value
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


def _number_label(value: Any) -> str:
    return value if isinstance(value, str) else f"{value:g}"


def _take_optimizer_default_rate() -> None:
    st.session_state[key("learning_rate")] = OPTIMIZERS[st.session_state[key("optimizer")]].default_lr


def sidebar() -> RunConfig | None:
    """Draw the settings and return the config they describe (None if it is invalid,
    after showing why)."""
    for name in [k for k in st.session_state if isinstance(k, str) and k.startswith("cfg.")]:
        # Streamlit forgets a widget's value when a run does not draw it (another page, a
        # hidden layer width); writing it back keeps the settings as the student left them.
        st.session_state[name] = st.session_state[name]
    with st.sidebar:
        st.subheader("Data")
        st.selectbox("Dataset", list(DATASETS), key=key("dataset"), format_func=labels.DATASETS.get)
        st.slider("Noise", 0.0, 1.0, step=0.05, key=key("noise"), help="Spread of the points around their pattern.")
        st.select_slider("Points", _choices("n_points"), key=key("n_points"))
        st.slider("Test share", 0.1, 0.9, step=0.05, key=key("test_fraction"),
                  help="Share of the points held out to test the network; it never trains on them.")
        st.toggle("Standardise inputs", key=key("standardize"),
                  help="Rescale each input to mean 0 and standard deviation 1 (using the training points).")
        st.select_slider("Input scale", _choices("input_scale"), key=key("input_scale"), format_func=_number_label,
                         help="Multiply the inputs by this. Large inputs push sigmoid neurons into their flat region.")

        st.subheader("Network")
        layers = st.number_input("Hidden layers", 0, MAX_HIDDEN_LAYERS, key="cfg.layers",
                                 help="0 hidden layers is a single-layer perceptron: it can only draw a straight line.")
        columns = st.columns(3)
        widths = []
        for layer in range(int(layers)):
            previous = st.session_state.get(_width_key(layer - 1), DEFAULT_NEW_LAYER_WIDTH)
            st.session_state.setdefault(_width_key(layer), previous)
            with columns[layer % 3]:
                widths.append(st.number_input(f"Layer {layer + 1}", 1, MAX_LAYER_WIDTH, key=_width_key(layer),
                                              help="Neurons in this hidden layer."))
        st.selectbox("Activation", list(ACTIVATIONS), key=key("activation"), format_func=labels.ACTIVATIONS.get)
        st.selectbox("Weight init", list(INITS), key=key("init"), format_func=labels.INITS.get,
                     help="How the weights start. All zeros makes every neuron in a layer identical, forever.")
        if st.session_state[key("init")] == "normal":
            st.select_slider("Init std", _choices("init_std"), key=key("init_std"), format_func=_number_label)
        st.slider("Dropout", 0.0, 0.9, step=0.05, key=key("dropout"),
                  help="Share of hidden neurons switched off at random at each training step.")

        st.subheader("Training")
        st.selectbox("Optimizer", list(OPTIMIZERS), key=key("optimizer"), format_func=labels.OPTIMIZERS.get,
                     on_change=_take_optimizer_default_rate, help="Changing it also picks its usual learning rate.")
        st.select_slider("Learning rate", _choices("learning_rate"), key=key("learning_rate"), format_func=_number_label)
        st.select_slider("Batch size", _choices("batch_size"), key=key("batch_size"), format_func=_number_label,
                         help='Examples per step. "full" uses every training point each step: plain gradient descent.')
        st.select_slider("L2 weight decay", _choices("weight_decay"), key=key("weight_decay"), format_func=_number_label)
        st.number_input("Seed", 0, 2**31 - 1, key=key("seed"), help="Same seed, same data and same starting weights.")

    values = {name: st.session_state[key(name)] for name in RunConfig.__dataclass_fields__ if name != "hidden_sizes"}
    try:
        return RunConfig(**values, hidden_sizes=tuple(int(w) for w in widths))
    except ConfigError as error:
        st.error(f"These settings cannot run: {error}")
        return None
