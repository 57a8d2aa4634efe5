"""The MNIST lab: from a single layer to a CNN, and seeing inside it."""

from __future__ import annotations

import math

import streamlit as st

from engine.config import ConfigError, RunConfig, parse_value
from engine.datasets import normalise, unnormalise
from engine.digits import to_mnist
from engine.metrics import confusion_matrix, mistakes, per_class_accuracy
from engine.models import ACTIVATIONS, MODELS
from engine.optimizers import OPTIMIZERS
from engine.presets import MNIST_PRESETS
from engine.probes import layer_names
from playground import figures, labels
from playground.draw_digit import draw_digit
from playground.mnist_session import TICK_SECONDS, MnistSession

STATE = "mnist.session"
MODEL_LABELS = {"softmax": "Single layer (softmax)", "mlp": "Multi-layer perceptron", "cnn": "Convolutional network"}
TRAIN_SIZES = [1_000, 10_000, 60_000]
BATCH_SIZES = [16, 32, 64, 128, 256]
LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0]
DEFAULT_PRESET = "cnn_quick"


def _key(field: str) -> str:
    return f"mnist.{field}"


def _load(preset: str) -> None:
    """Put a preset's settings (and epochs) into the widgets; a smaller training set
    than the preset's keeps the lab quick in class."""
    chosen = MNIST_PRESETS[preset]
    config = chosen.config.replace(train_size=10_000)
    for name, value in config.to_dict().items():
        st.session_state[_key(name)] = ",".join(map(str, value)) if isinstance(value, list) else value
    st.session_state[_key("epochs")] = chosen.epochs


FIELDS = ("model", "conv_channels", "convs_per_block", "kernel_size", "padding", "hidden_sizes", "activation",
          "dropout", "train_size", "optimizer", "learning_rate", "batch_size", "seed")


def _sidebar() -> RunConfig | None:
    state = st.session_state
    if _key("model") not in state:
        _load(DEFAULT_PRESET)
    for name in (*FIELDS, "epochs"):
        # Streamlit forgets a widget's value in any run that does not draw it (the CNN
        # settings while the model is an MLP); writing it back keeps it.
        state[_key(name)] = state[_key(name)]
    with st.sidebar:
        st.selectbox("Start from a preset", list(MNIST_PRESETS), index=list(MNIST_PRESETS).index(DEFAULT_PRESET),
                     key="mnist.preset", format_func=lambda name: MNIST_PRESETS[name].title,
                     on_change=lambda: _load(state["mnist.preset"]))
        st.caption(MNIST_PRESETS[state["mnist.preset"]].summary)
        st.subheader("Network")
        model = st.radio("Model", MODELS, key=_key("model"), format_func=MODEL_LABELS.get)
        if model == "cnn":
            st.text_input("Conv blocks (channels)", key=_key("conv_channels"),
                          help="Filters in each block, e.g. 8,16. Each block: convolution(s), ReLU, 2x2 max-pool.")
            st.radio("Convolutions per block", [1, 2], key=_key("convs_per_block"), horizontal=True,
                     help="2 = VGG style: conv, conv, pool.")
            st.radio("Kernel", [3, 5], key=_key("kernel_size"), horizontal=True, format_func=lambda k: f"{k}x{k}")
            st.radio("Padding", ["same", "valid"], key=_key("padding"), horizontal=True,
                     help="same: zero padding keeps the picture's size; valid: each convolution shrinks it.")
        if model != "softmax":
            st.text_input("Hidden layers (widths)", key=_key("hidden_sizes"),
                          help="Fully connected layers before the output, e.g. 256,128. Empty for none.")
            st.selectbox("Activation", list(ACTIVATIONS), key=_key("activation"), format_func=labels.ACTIVATIONS.get)
            st.slider("Dropout", 0.0, 0.8, step=0.05, key=_key("dropout"))
        st.subheader("Training")
        st.radio("Training images", TRAIN_SIZES, key=_key("train_size"), horizontal=True, format_func="{:,}".format,
                 help="Fewer images train faster; the test always uses all 10,000 test images.")
        st.selectbox("Optimizer", list(OPTIMIZERS), key=_key("optimizer"), format_func=labels.OPTIMIZERS.get)
        st.select_slider("Learning rate", sorted({*LEARNING_RATES, state[_key("learning_rate")]}), key=_key("learning_rate"))
        st.select_slider("Batch size", BATCH_SIZES, key=_key("batch_size"))
        st.number_input("Seed", 0, 2**31 - 1, key=_key("seed"))
    try:
        values = {name: parse_value(name, state[_key(name)]) for name in FIELDS}
        return RunConfig(dataset="mnist", init="auto", **values)
    except ConfigError as error:
        st.sidebar.error(f"These settings cannot run: {error}")
        return None


def _session(config: RunConfig) -> MnistSession:
    session: MnistSession | None = st.session_state.get(STATE)
    if session is None or session.config != config:
        if session is not None:
            st.toast("Settings changed: the network starts again, untrained.")
        with st.spinner("Loading MNIST (70,000 images; once per server)..."):
            session = MnistSession(config)
        st.session_state[STATE] = session
    return session


def _progress(session: MnistSession) -> None:
    trainer = session.trainer
    if session.training:
        done = trainer.step % trainer.steps_per_epoch / trainer.steps_per_epoch
        epoch = min(int(trainer.epoch) + 1, session.target_epochs)
        eta = session.seconds_left
        st.progress(done, text=f"Epoch {epoch} of {session.target_epochs}: {done:.0%} · "
                               f"{session.images_per_second:,.0f} images/s · about {eta:.0f} s left"
                               if math.isfinite(eta) else f"Epoch {epoch} of {session.target_epochs}: starting")
    elif trainer.step:
        h = trainer.history
        st.success(f"Trained {trainer.epoch:.2f} epochs ({trainer.examples_seen:,} images) in {session.train_seconds:.1f} s "
                   f"· test accuracy **{h.test_acc[-1]:.2%}** on 10,000 test images")


def _curves(session: MnistSession) -> None:
    trainer, h = session.trainer, session.trainer.history
    left, right = st.columns(2)
    left.plotly_chart(figures.loss_figure(h.batch_loss, trainer.steps_per_epoch, h.epochs, h.test_loss),
                      width="stretch", key="mnist.loss")
    right.plotly_chart(figures.accuracy_figure(h.epochs, h.train_acc, h.test_acc), width="stretch",
                       key="mnist.accuracy")
    st.plotly_chart(figures.gradient_figure(layer_names(trainer.model), trainer.grad_norms()), width="stretch",
                    key="mnist.gradients")


def _mistakes_tab(session: MnistSession) -> None:
    data = session.trainer.data
    probabilities = session.test_probabilities()
    matrix = confusion_matrix(data.y_test, probabilities.argmax(axis=1), 10)
    left, right = st.columns([3, 2])
    left.plotly_chart(figures.confusion_figure(matrix), width="stretch", key="mnist.confusion")
    with right:
        st.markdown("**Test accuracy per digit**")
        for digit, accuracy in enumerate(per_class_accuracy(matrix)):
            st.progress(float(accuracy), text=f"{digit}: {accuracy:.1%}")
    st.markdown("**The mistakes it was most sure about** (true → predicted, confidence)")
    worst = mistakes(data.y_test, probabilities, limit=24)
    columns = st.columns(8)
    for i, mistake in enumerate(worst):
        columns[i % 8].image(unnormalise(data.x_test[mistake.index, 0]), width=84, clamp=True,
                             caption=f"{mistake.label} → {mistake.predicted} ({mistake.confidence:.0%})")


def _inside_tab(session: MnistSession) -> None:
    trainer, data = session.trainer, session.trainer.data
    index = st.number_input("Test image number", 0, len(data.y_test) - 1, value=0, key="mnist.index")
    left, right = st.columns([1, 3])
    left.image(unnormalise(data.x_test[index, 0]), width=140, clamp=True, caption=f"true digit: {data.y_test[index]}")
    right.plotly_chart(figures.probabilities_figure(session.test_probabilities()[index], int(data.y_test[index])),
                       width="stretch", key="mnist.probabilities")
    model = trainer.model
    if not hasattr(model, "feature_maps"):
        st.info("Feature maps and filters belong to convolutional networks: choose Model = Convolutional network.")
        return
    filters = model.convs[0].weight.detach().numpy()[:, 0]
    st.markdown(f"**First-layer filters** ({len(filters)} of {filters.shape[-1]}x{filters.shape[-1]}): the patterns "
                "the first convolution looks for (light = positive weight)")
    st.image(figures.tile(figures.rescale(filters), columns=16, scale=10), clamp=True)
    st.markdown("**Feature maps**: the picture after each stage. Pooling halves it; later maps are smaller and "
                "more abstract.")
    for name, maps in trainer.feature_maps(data.x_test[index]):
        side = maps.shape[-1]
        st.caption(f"{name}: {maps.shape[0]} maps of {side}x{side}")
        st.image(figures.tile(figures.rescale(maps[:16]), columns=16, scale=max(1, 84 // side)), clamp=True)


@st.fragment  # each stroke reruns only the pad and its prediction, not the whole page
def _draw_tab(session: MnistSession) -> None:
    left, right = st.columns([1, 2])
    with left:
        st.markdown("Draw a digit with the mouse (or a finger):")
        drawing = draw_digit(key="mnist.draw")
    with right:
        if drawing is None:
            st.info("Draw a digit on the black pad; the network's answer appears here.")
            return
        digit = to_mnist(drawing)
        probabilities = session.trainer.probabilities(normalise(digit[None]))[0]
        guess = int(probabilities.argmax())
        st.markdown(f"### The network says: **{guess}** ({probabilities[guess]:.0%} sure)")
        if session.trainer.step == 0:
            st.warning("This network has not been trained yet: its answer is a guess. Press Train first.")
        st.image(figures.png_data_uri(digit), width=112, caption="what the network sees (28x28, centred as MNIST was)")
        st.plotly_chart(figures.probabilities_figure(probabilities), width="stretch", key="mnist.draw_probs")


def page() -> None:
    config = _sidebar()
    st.title("MNIST lab: from one layer to a CNN")
    st.caption("Handwritten digits, 28x28 pixels. Train a single layer, then a multi-layer network, then a "
               "convolutional network, and see why each step helps: the test accuracy, the mistakes, and what the "
               "filters look for.")
    if config is None:
        return
    session = _session(config)
    train, stop, reset, epochs = st.columns([1.3, 1, 1, 2], vertical_alignment="bottom")
    epochs_wanted = epochs.number_input("Epochs", 1, 20, key=_key("epochs"))
    train.button(f"Train {epochs_wanted} epoch{'s' if epochs_wanted > 1 else ''}", key="mnist.train", type="primary",
                 icon=":material/play_arrow:", disabled=session.training or session.trainer.diverged,
                 width="stretch", on_click=lambda: session.start(int(epochs_wanted)))
    stop.button("Stop", key="mnist.stop", icon=":material/stop:", disabled=not session.training,
                width="stretch", on_click=session.stop)
    reset.button("Reset", key="mnist.reset", icon=":material/restart_alt:", width="stretch",
                 on_click=lambda: st.session_state.pop(STATE, None))
    if session.trainer.diverged:
        st.error(f"**The run diverged.** {session.trainer.message}")

    @st.fragment(run_every=TICK_SECONDS if session.training else None)
    def live() -> None:
        was_training = session.training
        if session.training:
            session.tick()
        _progress(session)
        if session.trainer.history.steps or session.training:
            _curves(session)
        else:
            st.info("Press Train: the curves, the confusion matrix and the network's filters appear as it learns.")
        if was_training and not session.training:
            st.rerun()  # finished: draw the analysis below with the trained network

    live()
    if session.training:
        st.caption("The analysis below appears when training stops.")
        return
    mistakes_tab, inside_tab, draw_tab = st.tabs(["Mistakes", "Look inside", "Draw a digit"])
    with draw_tab:
        _draw_tab(session)
    for tab, show in ((mistakes_tab, _mistakes_tab), (inside_tab, _inside_tab)):
        with tab:
            if session.trainer.history.steps:
                show(session)
            else:
                st.info("Train the network first: this shows what it learned.")

