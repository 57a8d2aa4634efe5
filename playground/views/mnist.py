"""The MNIST lab: from a single layer to a CNN, and seeing inside it.

The settings are one `MnistLink` (a `RunConfig` and the epochs the Train button runs): the
widgets are loaded from it (a preset, or the URL of a shared link) and read back into it, and
the address bar always holds its text form, so a student can share the run they see.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from engine.core.config import MAX_ONE_CYCLE_EPOCHS, MAX_PATIENCE, MAX_SEED, ConfigError, RunConfig, format_value, parse_value
from engine.core.cost import check_click, max_epochs
from engine.core.datasets import normalise, unnormalise
from engine.core.digits import to_mnist
from engine.core.metrics import confusion_matrix, mistakes, per_class_accuracy
from engine.core.mnist_data import MnistError
from engine.core.models import ACTIVATIONS, MODELS
from engine.core.optimizers import OPTIMIZERS
from engine.core.probes import class_probabilities, feature_maps, grad_norms, layer_names
from engine.course.links import MAX_EPOCHS, MnistLink
from engine.course.presets import MNIST_PRESETS
from engine.export.run_files import RunSettings, load_weights
from playground import controls, figures, labels, lesson_panel, take_home, urls, viewer
from playground.components.draw_digit import draw_digit
from playground.i18n import t
from playground.problems import say
from playground.sessions import TICK_SECONDS, MnistSession

PAGE = "mnist"
STATE = "mnist.session"
PRESET = "mnist.preset"
# The settings as last drawn, with the preset they came from: Streamlit drops widget values
# while the student is on another page, and these bring them back.
SAVED = "mnist.saved"
QUEUE_SECONDS = 2.0  # how often a session waiting for its turn asks
EPOCHS_LIMIT = "mnist.epochs_limit"  # the most epochs one click may train with the current settings
# Choices offered by the widgets; a value from a link that is not among them is added.
TRAIN_SIZES = [1_000, 10_000, 60_000]
BATCH_SIZES = [16, 32, 64, 128, 256]
LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0]
MAX_DROPOUT_SHOWN = 0.8
DEFAULT_PRESET = "cnn_quick"
CLASS_TRAIN_SIZE = 10_000  # presets train on fewer images than their own 60,000, to keep the lab quick in class
TEXT_FIELDS = ("conv_channels", "hidden_sizes")  # typed as "8,16"
FIELDS = ("model", "conv_channels", "convs_per_block", "kernel_size", "padding", "batch_norm", "hidden_sizes",
          "activation", "dropout", "train_size", "optimizer", "learning_rate", "one_cycle", "batch_size", "early_stopping",
          "seed")


def _key(field: str) -> str:
    return f"mnist.{field}"


def _preset_link(name: str) -> MnistLink:
    chosen = MNIST_PRESETS[name]
    return MnistLink(chosen.config.replace(train_size=CLASS_TRAIN_SIZE), chosen.epochs)


def _load(link: MnistLink, preset: str | None) -> None:
    """Put a link's settings into the widgets (before they are drawn)."""
    state = st.session_state
    for name in FIELDS:
        value = getattr(link.config, name)
        state[_key(name)] = format_value(name, value) if name in TEXT_FIELDS else value
    state[_key("epochs")] = link.epochs
    state[PRESET] = preset
    state[SAVED] = (link, preset)


def _load_settings() -> None:
    """On the first visit, or when a lesson asks, take the settings from the URL (or the default
    preset if it has none); back from another page, restore them."""
    state = st.session_state
    if urls.load_requested(PAGE) or SAVED not in state:
        query = urls.page_query()
        link, warnings = MnistLink.from_query(query) if query else (_preset_link(DEFAULT_PRESET), [])
        _load(link, next((name for name in MNIST_PRESETS if _preset_link(name) == link), None))
        urls.loaded(PAGE, link, warnings)
    elif _key("model") not in state:
        _load(*state[SAVED])


def _with_current(options: list[Any], field: str) -> list[Any]:
    """A widget's choices, with the current value (from a link, say) added if it is not one of them."""
    current = st.session_state[_key(field)]
    if current in options:
        return options
    numbers = sorted(o for o in [*options, current] if not isinstance(o, str))
    return numbers + [o for o in [*options, current] if isinstance(o, str)]


def _take_preset() -> None:
    _load(_preset_link(st.session_state[PRESET]), st.session_state[PRESET])


def _take_optimizer_default_rate() -> None:
    st.session_state[_key("learning_rate")] = OPTIMIZERS[st.session_state[_key("optimizer")]].lr_for(images=True)


def _sidebar() -> MnistLink | None:
    state = st.session_state
    base = state[SAVED][0].config  # settings the lab has no widget for (init, weight decay) come from the link
    urls.keep_widget_values((*map(_key, FIELDS), _key("epochs"), PRESET))  # e.g. the CNN's while the model is an MLP
    # Names in the session's language, looked up now: a widget may call its format_func later.
    preset_names = {name: t(f"mnist.preset.{name}.title") for name in MNIST_PRESETS}
    model_names = {name: t(f"mnist.model.{name}") for name in MODELS}
    with st.sidebar:
        st.selectbox(t("mnist.preset_label"), list(MNIST_PRESETS), key=PRESET, placeholder=t("mnist.preset_none"),
                     format_func=preset_names.get, on_change=_take_preset)
        if state[PRESET] is not None:
            st.caption(t(f"mnist.preset.{state[PRESET]}.summary"))
        st.subheader(t("mnist.network"))
        model = st.radio(labels.FIELDS["model"], MODELS, key=_key("model"), format_func=model_names.get)
        if model == "cnn":
            st.text_input(t("mnist.conv_channels"), key=_key("conv_channels"), help=t("mnist.conv_channels_help"))
            st.radio(labels.FIELDS["convs_per_block"], [1, 2], key=_key("convs_per_block"), horizontal=True,
                     help=t("mnist.convs_per_block_help"))
            st.radio(labels.FIELDS["kernel_size"], [3, 5], key=_key("kernel_size"), horizontal=True,
                     format_func=lambda k: f"{k}x{k}")
            st.radio(labels.FIELDS["padding"], ["same", "valid"], key=_key("padding"), horizontal=True,
                     help=t("mnist.padding_help"))
            st.toggle(labels.FIELDS["batch_norm"], key=_key("batch_norm"), help=t("mnist.batch_norm_help"))
        if model != "softmax":
            st.text_input(t("mnist.hidden_sizes"), key=_key("hidden_sizes"), help=t("mnist.hidden_sizes_help"))
            st.selectbox(labels.FIELDS["activation"], list(ACTIVATIONS), key=_key("activation"),
                         format_func=dict(labels.ACTIVATIONS).get)
            st.slider(labels.FIELDS["dropout"], 0.0, max(MAX_DROPOUT_SHOWN, state[_key("dropout")]), step=0.05,
                      key=_key("dropout"), help=t("mnist.dropout_help"))
        st.subheader(t("mnist.training"))
        st.radio(labels.FIELDS["train_size"], _with_current(TRAIN_SIZES, "train_size"), key=_key("train_size"),
                 horizontal=True, format_func="{:,}".format, help=t("mnist.train_size_help"))
        st.selectbox(labels.FIELDS["optimizer"], list(OPTIMIZERS), key=_key("optimizer"),
                     format_func=dict(labels.OPTIMIZERS).get, on_change=_take_optimizer_default_rate,
                     help=t("mnist.optimizer_help"))
        st.select_slider(labels.FIELDS["learning_rate"], _with_current(LEARNING_RATES, "learning_rate"),
                         key=_key("learning_rate"), format_func="{:g}".format)
        st.number_input(labels.FIELDS["one_cycle"], 0, MAX_ONE_CYCLE_EPOCHS, key=_key("one_cycle"),
                        help=t("mnist.one_cycle_help"))
        st.select_slider(labels.FIELDS["batch_size"], _with_current(BATCH_SIZES, "batch_size"), key=_key("batch_size"))
        st.number_input(labels.FIELDS["early_stopping"], 0, MAX_PATIENCE, key=_key("early_stopping"),
                        help=t("controls.early_stopping_help"))
        st.number_input(labels.FIELDS["seed"], 0, MAX_SEED, key=_key("seed"))
    try:
        values = {name: parse_value(name, state[_key(name)]) for name in FIELDS}
        config = base.replace(**values)
        check_click(config, 1)
        # One click trains at most what the server's cap allows: the epochs box offers no more.
        state[EPOCHS_LIMIT] = min(MAX_EPOCHS, max_epochs(config))
        state[_key("epochs")] = min(int(state[_key("epochs")]), state[EPOCHS_LIMIT])
        link = MnistLink(config, int(state[_key("epochs")]))
    except ConfigError as error:
        st.sidebar.error(t("mnist.invalid", error=say(error)))
        return None
    state[SAVED] = (link, state[PRESET])
    return link


def _session(config: RunConfig) -> MnistSession | None:
    """This session's run of `config` (a new one when the settings change); None, after saying
    why, if the MNIST files cannot be read."""
    session: MnistSession | None = st.session_state.get(STATE)
    if session is None or session.config != config:
        if session is not None:
            session.close()  # its place in the server's queue goes to the next student
            st.toast(t("mnist.run.settings_changed"))
        try:
            with st.spinner(t("mnist.run.loading")):
                session = MnistSession(config)
        except MnistError as error:
            st.session_state.pop(STATE, None)
            st.error(t("mnist.data_error", error=say(error)), icon=":material/error:")
            return None
        st.session_state[STATE] = session
    return session


def _continue(settings: RunSettings, weights: bytes) -> None:
    """Go on from an uploaded run (take_home's Continue, before the page reruns): a new run of its
    settings from its weights, and the settings into the sidebar."""
    config = settings.final_config
    link = MnistLink(config, max(1, min(st.session_state[SAVED][0].epochs, max_epochs(config))))
    session = MnistSession(config)
    load_weights(session.trainer, weights, (settings.weights_from or 0) + settings.steps)
    old: MnistSession | None = st.session_state.get(STATE)
    if old is not None:
        old.close()
    st.session_state[STATE] = session
    _load(link, None)


def _progress(session: MnistSession) -> None:
    trainer = session.trainer
    ahead, wait = session.queue.place(session)
    if session.busy and ahead > 0:
        st.info(t("mnist.run.queued", ahead=ahead, wait=wait), icon=":material/hourglass_top:")
    elif session.evaluating:
        st.progress(session.evaluated, text=t("mnist.run.measuring", done=session.evaluated))
    elif session.training:
        done = trainer.step % trainer.steps_per_epoch / trainer.steps_per_epoch
        epoch = min(int(trainer.epoch) + 1, session.target_epochs)
        eta = session.seconds_left
        text = (t("mnist.run.progress", epoch=epoch, epochs=session.target_epochs, done=done,
                  speed=session.images_per_second, eta=eta)
                if math.isfinite(eta) else t("mnist.run.starting", epoch=epoch, epochs=session.target_epochs))
        st.progress(done, text=text)
    elif trainer.step and trainer.history.steps:
        st.success(t("mnist.run.trained", epochs=trainer.epoch, images=trainer.examples_seen,
                     seconds=session.train_seconds, accuracy=trainer.history.test_acc[-1]))


def _curves(session: MnistSession) -> None:
    trainer, h = session.trainer, session.trainer.history
    left, right = st.columns(2)
    stop = (figures.EarlyStop(trainer.epoch, trainer.best.epoch, trainer.best.test_loss)
            if trainer.stopped_early and trainer.best is not None else None)
    left.plotly_chart(figures.loss_figure(h.batch_loss.steps(), h.batch_loss.values(), trainer.steps_per_epoch, h.epochs,
                                          h.test_loss, stop, view=viewer.current()),
                      width="stretch", key="mnist.loss")
    right.plotly_chart(figures.accuracy_figure(h.epochs, h.train_acc, h.test_acc, view=viewer.current()), width="stretch",
                       key="mnist.accuracy")
    st.plotly_chart(figures.gradient_figure(layer_names(trainer.model), grad_norms(trainer.model).tolist(),
                                            view=viewer.current()),
                    width="stretch", key="mnist.gradients")


def _mistakes_tab(session: MnistSession) -> None:
    data = session.trainer.data
    probabilities = session.test_probabilities()
    if probabilities is None:
        st.info(t("mnist.run.train_first"))
        return
    matrix = confusion_matrix(data.y_test, probabilities.argmax(axis=1), 10)
    left, right = st.columns([3, 2])
    left.plotly_chart(figures.confusion_figure(matrix, view=viewer.current()), width="stretch", key="mnist.confusion")
    with right:
        st.markdown(t("mnist.mistakes.per_digit"))
        for digit, accuracy in enumerate(per_class_accuracy(matrix)):
            st.progress(float(accuracy), text=f"{digit}: {accuracy:.1%}")
    st.markdown(t("mnist.mistakes.most_sure"))
    worst = mistakes(data.y_test, probabilities, limit=24)
    columns = st.columns(8)
    for i, mistake in enumerate(worst):
        columns[i % 8].image(unnormalise(data.x_test[mistake.index, 0]), width=84, clamp=True,
                             caption=f"{mistake.label} → {mistake.predicted} ({mistake.confidence:.0%})")


def _inside_tab(session: MnistSession) -> None:
    trainer, data = session.trainer, session.trainer.data
    index = st.number_input(t("mnist.inside.image_number"), 0, len(data.y_test) - 1, value=0, key="mnist.index")
    left, right = st.columns([1, 3])
    left.image(unnormalise(data.x_test[index, 0]), width=140, clamp=True,
               caption=t("mnist.inside.true_digit", digit=data.y_test[index]))
    probabilities = session.test_probabilities()
    if probabilities is not None:
        right.plotly_chart(figures.probabilities_figure(probabilities[index], int(data.y_test[index]), view=viewer.current()),
                           width="stretch", key="mnist.probabilities")
    model = trainer.model
    if not hasattr(model, "feature_maps"):
        st.info(t("mnist.inside.no_feature_maps", model=labels.FIELDS["model"], cnn=t("mnist.model.cnn")))
        return
    filters = model.convs[0].weight.detach().numpy()[:, 0]
    st.markdown(t("mnist.inside.filters", count=len(filters), side=filters.shape[-1]))
    st.image(figures.tile(figures.rescale(filters), columns=16, scale=10), clamp=True)
    st.markdown(t("mnist.inside.feature_maps"))
    for stage, maps in feature_maps(trainer.model, data.x_test[index]):
        side = maps.shape[-1]
        st.caption(t("mnist.inside.maps", stage=stage, count=maps.shape[0], side=side))
        st.image(figures.tile(figures.rescale(maps[:16]), columns=16, scale=max(1, 84 // side)), clamp=True)


@st.fragment  # each stroke reruns only the pad and its prediction, not the whole page
def _draw_tab(session: MnistSession) -> None:
    left, right = st.columns([1, 2])
    with left:
        st.markdown(t("mnist.draw.prompt"))
        drawing = draw_digit(key="mnist.draw")
    with right:
        if drawing is None:
            st.info(t("mnist.draw.waiting"))
            return
        digit = to_mnist(drawing)
        probabilities = class_probabilities(session.trainer.network, normalise(digit[None]))[0]
        guess = int(probabilities.argmax())
        st.markdown(t("mnist.draw.says", digit=guess, confidence=probabilities[guess]))
        if session.trainer.step == 0 and session.trainer.weights_from is None:
            st.warning(t("mnist.draw.untrained"))
        st.image(figures.png_data_uri(digit), width=112, caption=t("mnist.draw.sees"))
        st.plotly_chart(figures.probabilities_figure(probabilities, view=viewer.current()), width="stretch",
                        key="mnist.draw_probs")


def page() -> None:
    _load_settings()
    link = _sidebar()
    if not viewer.presenting():
        st.title(t("mnist.title"))
        st.caption(t("mnist.intro"))
    if link is None:
        return
    urls.follow(PAGE, link, link.to_query())  # the address bar always links to these settings
    session = _session(link.config)
    if session is None:
        return
    lesson_panel.show(PAGE, progress=int(session.trainer.epoch + 1e-9))
    train, stop, reset, epochs = st.columns([1.3, 1, 1, 2], vertical_alignment="bottom")
    limit = st.session_state[EPOCHS_LIMIT]
    epochs_wanted = int(epochs.number_input(t("mnist.run.epochs"), 1, limit, key=_key("epochs"),
                                            help=t("mnist.run.epochs_capped", epochs=limit) if limit < MAX_EPOCHS else None))
    train.button(t("mnist.run.train_one") if epochs_wanted == 1 else t("mnist.run.train_many", epochs=epochs_wanted),
                 key="mnist.train", type="primary", icon=":material/play_arrow:",
                 disabled=session.busy or session.trainer.finished, width="stretch",
                 on_click=lambda: session.start(epochs_wanted))
    stop.button(t("mnist.run.stop"), key="mnist.stop", icon=":material/stop:", disabled=not session.training,
                width="stretch", on_click=session.stop)
    reset.button(t("mnist.run.reset"), key="mnist.reset", icon=":material/restart_alt:", width="stretch",
                 on_click=lambda: (session.close(), st.session_state.pop(STATE, None)))
    cycle = session.config.one_cycle
    if cycle and not session.busy and session.trainer.epoch + epochs_wanted > cycle + 1e-9:
        st.caption(t("mnist.run.past_cycle", epochs=cycle))  # epochs after the cycle learn almost nothing
    if session.trainer.diverged:
        st.error(t("mnist.run.diverged", message=say(session.trainer.problem)))
    elif session.trainer.stopped_early:
        st.info(controls.stopped_early(session.trainer, epochs=True), icon=":material/front_hand:")

    waiting = session.busy and session.queue.place(session)[0] > 0

    # While waiting its turn, the page asks less often: 30 waiting students cost the server little.
    @st.fragment(run_every=(QUEUE_SECONDS if waiting else TICK_SECONDS) if session.busy else None)
    def live() -> None:
        was_busy = session.busy
        session.tick()
        if waiting and session.queue.place(session)[0] == 0:
            st.rerun()  # its turn: tick at the training pace
        _progress(session)
        if session.trainer.history.steps or session.busy:
            _curves(session)
        else:
            st.info(t("mnist.run.press_train"))
        if was_busy and not session.busy:
            st.rerun()  # finished: draw the analysis below with the trained network

    live()
    take_home.panel(PAGE, {"": take_home.Run(session.trainer)}, busy=session.busy,
                    load=None if viewer.presenting() else _continue, images=True,
                    image_hint=t("takehome.image_hint_charts"))
    if session.busy:
        st.caption(t("mnist.run.analysis_after"))
        return
    mistakes_tab, inside_tab, draw_tab = st.tabs([t("mnist.tab.mistakes"), t("mnist.tab.inside"), t("mnist.tab.draw")])
    with draw_tab:
        _draw_tab(session)
    for tab, show in ((mistakes_tab, _mistakes_tab), (inside_tab, _inside_tab)):
        with tab:
            if session.trainer.history.steps:
                show(session)
            else:
                st.info(t("mnist.run.train_first"))


if __name__ == "__main__":  # Streamlit runs this file as the page
    page()
