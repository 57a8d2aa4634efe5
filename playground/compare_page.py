"""Compare: the same network with one setting changed, trained side by side in lock-step."""

from __future__ import annotations

import math

import streamlit as st

from engine.compare import Comparison
from engine.config import ConfigError, RunConfig, format_value
from engine.datasets import DATASETS
from engine.models import ACTIVATIONS, INITS
from engine.optimizers import OPTIMIZERS
from engine.probes import layer_names
from playground import controls, figures
from playground.labels import FIELDS as FIELD_LABELS

STATE = "compare.comparison"
TICK_SECONDS = 0.3
TRAIN_SECONDS_PER_TICK = 0.15
# What can be varied, and the values offered (text forms, as in a link).
VARIATIONS: dict[str, list[str]] = {
    "activation": list(ACTIVATIONS),
    "optimizer": list(OPTIMIZERS),
    "learning_rate": ["0.0001", "0.001", "0.01", "0.03", "0.1", "0.3", "1", "3", "10"],
    "batch_size": ["1", "10", "50", "full"],
    "hidden_sizes": ["", "4", "8,8", "8,8,8,8", "16,16,16,16,16,16"],
    "init": list(INITS),
    "dropout": ["0", "0.2", "0.5"],
    "weight_decay": ["0", "0.001", "0.01", "0.1"],
    "standardize": ["0", "1"],
    "input_scale": ["1", "10", "100"],
    "dataset": list(DATASETS),
    "seed": ["0", "1", "2", "3"],
}
DEFAULT_VARIATION = ("activation", ["sigmoid", "relu"])


def _comparison(base: RunConfig, field: str, values: list[str], n_seeds: int) -> Comparison | None:
    """This session's comparison, rebuilt when the base settings or the variation change."""
    current: Comparison | None = st.session_state.get(STATE)
    wanted = (base, field, values, n_seeds)
    if current is None or st.session_state.get("compare.wanted") != wanted:
        try:
            current = Comparison(base, field, values, n_seeds=n_seeds)
        except ConfigError as error:
            st.error(f"These runs cannot be compared: {error}")
            return None
        current.record()
        st.session_state[STATE], st.session_state["compare.wanted"] = current, wanted
        st.session_state["compare.playing"] = False
    return current


def _shown(comparison: Comparison, show_test: bool, log_loss: bool) -> None:
    runs = comparison.runs
    for column, run, label in zip(st.columns(len(runs)), runs, comparison.labels):
        with column:
            accuracy = run.history.test_acc[-1] if run.history.steps else math.nan
            title = f"{label}: diverged" if run.diverged else f"{label}: test {accuracy:.0%}"
            st.plotly_chart(figures.boundary_figure(run.decision_grid(60), run.data, title, show_test),
                            width="stretch", key=f"compare.boundary.{label}")
    st.plotly_chart(figures.overlay_loss_figure(comparison.labels, [run.history for run in runs], log_loss),
                    width="stretch", key="compare.loss")
    if comparison.seed_runs:
        st.plotly_chart(figures.seeds_band_figure(comparison.labels, [run.history for run in comparison.seed_runs]),
                        width="stretch", key="compare.seeds_band")
    norms = [run.grad_norms() for run in runs]
    positive = [g for layer in norms for g in layer if g > 0 and math.isfinite(g)]
    y_range = (math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))) if positive else (-3, 1)
    for column, run, label, run_norms in zip(st.columns(len(runs)), runs, comparison.labels, norms):
        column.plotly_chart(figures.gradient_bars_figure(layer_names(run.model), run_norms, f"Gradients: {label}", y_range),
                            width="stretch", key=f"compare.gradients.{label}")
    st.dataframe(
        [{"run": label, "step": run.step, "train loss": run.history.train_loss[-1], "test loss": run.history.test_loss[-1],
          "train accuracy": run.history.train_acc[-1], "test accuracy": run.history.test_acc[-1],
          "diverged": run.diverged} for run, label in zip(runs, comparison.labels)],
        hide_index=True, width="stretch")


def page() -> None:
    state = st.session_state
    if controls.key("dataset") not in state:  # first page visited: take the settings from the link
        controls.load_config(RunConfig.from_query(st.query_params.to_dict())[0])
    base = controls.sidebar()
    st.title("Compare")
    st.caption("The same network, one setting changed: every run starts from the same seed on the same data and "
               "takes the same steps, so any difference is that setting's doing. The base settings are in the sidebar.")
    if base is None:
        return
    field_column, values_column, seeds_column = st.columns([1, 3, 1])
    state.setdefault("compare.field", DEFAULT_VARIATION[0])
    field = field_column.selectbox("Vary", list(VARIATIONS), key="compare.field", format_func=FIELD_LABELS.get)
    current = format_value(field, getattr(base, field))
    options = VARIATIONS[field] + ([current] if current not in VARIATIONS[field] else [])  # the base's own value too
    if state.get("compare.values.field") != field:
        default = DEFAULT_VARIATION[1] if field == DEFAULT_VARIATION[0] else [current] + [
            v for v in options if v != current][:1]
        state["compare.values"], state["compare.values.field"] = default, field
    state["compare.values"] = [v for v in state["compare.values"] if v in options]
    values = values_column.multiselect("Values (2 to 4)", options, key="compare.values", max_selections=4,
                                       format_func=lambda v: v if v else "none")
    n_seeds = seeds_column.select_slider("Seeds per run", [1, 4, 8, 16], key="compare.seeds",
                                         help="Train each run from several seeds at once (one batched model) and show "
                                              "the spread: does it work, or did it work once?")
    comparison = _comparison(base, field, list(values), n_seeds)
    if comparison is None:
        return
    playing = state.get("compare.playing", False)
    play, step, epoch, reset, view = st.columns([1.1, 1, 1, 1, 2.5], vertical_alignment="bottom")
    play.button("Pause" if playing else "Play", key="compare.play", type="primary", width="stretch",
                icon=":material/pause:" if playing else ":material/play_arrow:",
                on_click=lambda: state.update({"compare.playing": not playing}))

    def advance(steps: int) -> None:
        state["compare.playing"] = False
        comparison.train(steps)
        comparison.record()

    step.button("Step", key="compare.step", width="stretch", on_click=lambda: advance(1))
    epoch.button("+1 epoch", key="compare.epoch", width="stretch",
                 on_click=lambda: advance(comparison.runs[0].steps_per_epoch))
    reset.button("Reset", key="compare.reset", icon=":material/restart_alt:", width="stretch",
                 on_click=lambda: (comparison.reset(), comparison.record(), state.update({"compare.playing": False})))
    with view:
        show_test = st.toggle("Show test points", value=True, key="compare.show_test")
        log_loss = st.toggle("Log-scale loss", value=False, key="compare.log_loss")

    @st.fragment(run_every=TICK_SECONDS if playing else None)
    def live() -> None:
        if state.get("compare.playing"):
            comparison.train_for(TRAIN_SECONDS_PER_TICK)
            comparison.record()
            if all(run.diverged for run in comparison.runs):
                state["compare.playing"] = False
                st.rerun()
        st.caption(f"Step {comparison.step:,} · epoch {comparison.runs[0].epoch:.1f}")
        _shown(comparison, show_test, log_loss)

    live()


