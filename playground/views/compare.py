"""Compare: the same network with one setting changed, trained side by side in lock-step.

The page's settings are one `CompareLink`: the sidebar's base config, the setting varied and
its values, seeds per run, and whether the runs keep together by steps or by epochs. The
address bar always holds it; the first visit (or a lesson) takes it from there.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import streamlit as st

from engine.core.config import ConfigError, RunConfig, format_value, parse_value
from engine.core.datasets import DATASETS
from engine.core.loop import train
from engine.core.models import ACTIVATIONS, INITS
from engine.core.optimizers import OPTIMIZERS
from engine.core.probes import decision_grid, grad_norms, layer_names
from engine.core.trainer import Trainer
from engine.course.links import SEEDS, CompareLink
from engine.experiments.compare import ALIGNS, Comparison, epochs_after, snapshot_epochs
from playground import controls, figures, labels, lesson_panel, scheduler, take_home, urls, viewer
from playground.i18n import t
from playground.problems import say
from playground.sessions import MAX_STEPS_PER_TICK, Job, cpu_budget

PAGE = "compare"
STATE = "compare.state"  # this session's `CompareState`; the other "compare.*" keys are widgets'
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
    "early_stopping": ["0", "10", "20", "50"],
    "standardize": ["0", "1"],
    "input_scale": ["1", "10", "100"],
    "dataset": list(DATASETS),
    "seed": ["0", "1", "2", "3"],
}
# Values shown by their label (in the session's language) rather than their text form.
NAMED_VALUES = {"activation": labels.ACTIVATIONS, "optimizer": labels.OPTIMIZERS, "init": labels.INITS,
                "dataset": labels.DATASETS}


@dataclass
class CompareState:
    """What the page keeps in a session besides its widgets' values: the settings (also while the
    student is on another page), values a link brought that the lists do not offer, the runs
    built from the settings, and whether they are playing."""

    link: CompareLink
    extra_values: dict[str, list[str]] = field(default_factory=dict)
    comparison: Comparison | None = None
    built_from: CompareLink | None = None  # the settings `comparison` was built from
    playing: bool = False
    job: Job | None = None  # lock-steps a button asked for ("+1 epoch"), trained by the ticks
    job_finished: tuple[bool, ...] = ()  # which runs were finished (diverged, stopped early) when the job was asked for
    pace: scheduler.Pace = field(default_factory=lambda: scheduler.Pace(TICK_SECONDS))  # how often it ticks while playing
    values_field: str | None = None  # the setting the values widget currently offers values of


def _finished(comparison: Comparison) -> tuple[bool, ...]:
    return tuple(run.finished for run in comparison.runs)


def _early_stop(run: Trainer, by_epochs: bool) -> figures.EarlyStop | None:
    """Where early stopping ended `run`, in the loss chart's units (None if it did not)."""
    if run.stopped_at is None or run.best is None:
        return None
    x = (lambda step: epochs_after(run, step)) if by_epochs else float
    return figures.EarlyStop(x(run.stopped_at), x(run.best.step), run.best.test_loss)


def _state() -> CompareState | None:
    return st.session_state.get(STATE)


def _value_label(field: str, value: str) -> str:
    names = NAMED_VALUES.get(field)
    if names is not None and value in names:
        return names[value]
    return value or t("compare.none")


def _run_label(field: str, value: str) -> str:
    """E.g. "Activation = ReLU"."""
    return t("compare.run", field=labels.FIELDS[field], value=_value_label(field, value))


def _options(field: str, base: RunConfig) -> list[str]:
    """The values offered for `field`: the usual ones, the base's own and any a link brought,
    each value once (by what it means: "1" and "1.0" are one learning rate)."""
    extra = _state().extra_values.get(field, []) if _state() else []
    offered: dict[object, str] = {}
    for value in [*VARIATIONS[field], format_value(field, getattr(base, field)), *extra]:
        offered.setdefault(parse_value(field, value), value)
    return list(offered.values())


def _among(field: str, values: list[str], options: list[str]) -> list[str]:
    """`values` as the options that mean the same (a value no option means is dropped)."""
    by_meaning = {parse_value(field, option): option for option in options}
    return [by_meaning[meaning] for meaning in (parse_value(field, value) for value in values) if meaning in by_meaning]


def _load(link: CompareLink) -> None:
    """Put the link's variation, seeds and alignment into the widgets (before they are drawn)."""
    state = st.session_state
    state.update({"compare.field": link.vary, "compare.values": list(link.values), "compare.seeds": link.seeds,
                  "compare.align": link.align})
    kept = _state()
    if kept is None:
        state[STATE] = CompareState(link, {link.vary: list(link.values)}, values_field=link.vary)
    else:
        kept.link, kept.extra_values, kept.values_field = link, {link.vary: list(link.values)}, link.vary


def _load_settings() -> None:
    """On the first visit, or when a lesson asks, take the settings from the URL; back from
    another page, restore them."""
    state = st.session_state
    if urls.load_requested(PAGE) or (_state() is None and controls.key("dataset") not in state):
        link, warnings = CompareLink.from_query(urls.page_query())
        controls.load_config(link.base)
        _load(link)
        urls.loaded(PAGE, link, warnings)
        return
    kept = _state()
    if kept and controls.key("dataset") not in state:  # back from a page without the sidebar
        controls.load_config(kept.link.base)
    if kept and "compare.field" not in state:
        _load(kept.link)
    if _state() is None:  # first visit, from a page whose sidebar holds the base settings
        state[STATE] = CompareState(CompareLink())
    state.setdefault("compare.field", CompareLink.vary)
    state.setdefault("compare.align", CompareLink.align)


def _comparison(kept: CompareState) -> Comparison | None:
    """This session's comparison, rebuilt when the settings change."""
    if kept.comparison is None or kept.built_from != kept.link:
        try:
            comparison = kept.link.comparison()
        except ConfigError as error:
            st.error(t("compare.cannot_compare", error=say(error)))
            return None
        comparison.record()
        kept.comparison, kept.built_from, kept.playing, kept.job = comparison, kept.link, False, None
    return kept.comparison


def _shown(comparison: Comparison, run_labels: list[str], show_test: bool, log_loss: bool) -> None:
    runs = comparison.runs
    by_epochs = comparison.align == "epochs"
    for i, (column, run, label) in enumerate(zip(st.columns(len(runs)), runs, run_labels)):
        with column:
            accuracy = run.history.test_acc[-1] if run.history.steps else math.nan
            if run.diverged:
                title = t("compare.boundary_diverged", run=label)
            elif run.task == "regression":  # no accuracy for a value: its test error instead
                title = t("compare.boundary_stopped_loss" if run.stopped_early else "compare.boundary_title_loss",
                          run=label, step=run.stopped_at, loss=run.history.test_loss[-1])
            elif run.stopped_early:
                title = t("compare.boundary_stopped", run=label, step=run.stopped_at, accuracy=accuracy)
            else:
                title = t("compare.boundary_title", run=label, accuracy=accuracy)
            st.plotly_chart(figures.boundary_figure(decision_grid(run.network, run.data.bounds, 60), run.data, title, show_test,
                                                    view=viewer.current()),
                            width="stretch", key=f"compare.boundary.{i}")
    st.plotly_chart(figures.overlay_loss_figure(run_labels, [run.history for run in runs], log_loss,
                                                [snapshot_epochs(run) for run in runs] if by_epochs else None,
                                                [_early_stop(run, by_epochs) for run in runs], view=viewer.current()),
                    width="stretch", key="compare.loss")
    if comparison.seed_runs:
        seed_runs = comparison.seed_runs
        st.plotly_chart(figures.seeds_band_figure(run_labels, [run.history for run in seed_runs],
                                                  epochs=[snapshot_epochs(run) for run in seed_runs] if by_epochs else None,
                                                  view=viewer.current()),
                        width="stretch", key="compare.seeds_band")
    norms = [grad_norms(run.model).tolist() for run in runs]
    positive = [g for layer in norms for g in layer if g > 0 and math.isfinite(g)]
    y_range = (math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))) if positive else (-3, 1)
    for i, (column, run, label, run_norms) in enumerate(zip(st.columns(len(runs)), runs, run_labels, norms)):
        column.plotly_chart(figures.gradient_bars_figure(layer_names(run.model), run_norms,
                                                         t("compare.gradients_title", run=label), y_range,
                                                         view=viewer.current()),
                            width="stretch", key=f"compare.gradients.{i}")
    st.dataframe(
        [{t("compare.column.run"): label, t("compare.column.step"): run.step, t("compare.column.epoch"): round(run.epoch, 2),
          t("compare.column.train_loss"): run.history.train_loss[-1], t("compare.column.test_loss"): run.history.test_loss[-1],
          t("compare.column.train_acc"): run.history.train_acc[-1], t("compare.column.test_acc"): run.history.test_acc[-1],
          t("compare.column.diverged"): run.diverged, t("compare.column.stopped_at"): run.stopped_at}
         for run, label in zip(runs, run_labels)],
        hide_index=True, width="stretch")


def _variation(base: RunConfig) -> CompareLink | None:
    """The variation widgets, read back with the base into the page's link (None, after
    saying why, if the runs cannot be compared)."""
    state = st.session_state
    field_column, values_column, seeds_column, align_column = st.columns([1.3, 2.6, 1.1, 1.5])
    field = field_column.selectbox(t("compare.vary"), list(VARIATIONS), key="compare.field", format_func=labels.FIELDS.format())
    options = _options(field, base)
    kept = _state()
    if kept.values_field != field:
        current = format_value(field, getattr(base, field))
        default = list(CompareLink.values) if field == CompareLink.vary else [current] + [
            v for v in options if parse_value(field, v) != parse_value(field, current)][:1]
        state["compare.values"], kept.values_field = default, field
    state["compare.values"] = _among(field, state["compare.values"], options)
    values = values_column.multiselect(t("compare.values"), options, key="compare.values", max_selections=4,
                                       format_func=lambda value: _value_label(field, value))
    seeds = seeds_column.select_slider(t("compare.seeds"), SEEDS, key="compare.seeds", help=t("compare.seeds_help"))
    align = align_column.segmented_control(
        t("compare.align"), ALIGNS, key="compare.align", required=True, help=t("compare.align_help"),
        format_func=lambda name: t("compare.align_epochs") if name == "epochs" else t("compare.align_steps"))
    try:
        return CompareLink(base, field, tuple(values), seeds, align)
    except ConfigError as error:
        st.error(t("compare.cannot_compare", error=say(error)))
        return None


def page() -> None:
    state = st.session_state
    _load_settings()
    base = controls.sidebar()
    if not viewer.presenting():
        st.title(t("compare.title"))
        st.caption(t("compare.intro"))
    if base is None:
        return
    kept = _state()
    if viewer.presenting():  # presenter mode: the variation stays as set, its widgets hidden
        urls.keep_widget_values(("compare.field", "compare.values", "compare.seeds", "compare.align",
                                 "compare.show_test", "compare.log_loss"))
        saved = kept.link
        try:
            link = CompareLink(base, saved.vary, saved.values, saved.seeds, saved.align)
        except ConfigError as error:
            st.error(t("compare.cannot_compare", error=say(error)))
            return
    else:
        link = _variation(base)
    if link is None:
        return
    kept.link = link
    urls.follow(PAGE, link, link.to_query())  # the address bar always links to these settings
    comparison = _comparison(kept)
    if comparison is None:
        return
    by_epochs = comparison.align == "epochs"
    lesson_panel.show(PAGE, progress=math.floor(comparison.epoch + 1e-9) if by_epochs else comparison.step)
    run_labels = [_run_label(link.vary, value) for value in link.values]
    playing = kept.playing or kept.job is not None
    widths = [2.3, 1.6, 1.6, 1.6, 1.3] if viewer.presenting() else [1.5, 1.1, 1.1, 1.1, 2.0]  # Play: its label and key
    play, step, epoch, reset, view = st.columns(widths, vertical_alignment="bottom")
    play.button(t("compare.pause") if playing else t("compare.play"), key="compare.play", type="primary",
                width="stretch", icon=":material/pause:" if playing else ":material/play_arrow:",
                on_click=lambda: (setattr(kept, "playing", not playing), setattr(kept, "job", None)), shortcut=controls.PLAY_KEY)

    def advance(epochs: int = 0) -> None:
        """One lock-step now, or with `epochs` that many more passes over the data, trained by the ticks."""
        kept.playing, kept.job = False, None
        if epochs:
            kept.job = Job(comparison.steps_for_epochs(epochs))
            kept.job_finished = _finished(comparison)
        else:
            train(comparison, 1)

    step.button(t("compare.step"), key="compare.step", width="stretch", on_click=advance, shortcut=controls.STEP_KEY,
                help=t("compare.step_help_epochs") if by_epochs else t("compare.step_help_steps"))
    epoch.button(t("compare.epoch"), key="compare.epoch", width="stretch", on_click=advance,
                 args=(1,), help=t("compare.epoch_help"))
    reset.button(t("compare.reset"), key="compare.reset", icon=":material/restart_alt:", width="stretch",
                 on_click=lambda: (comparison.reset(), comparison.record(), setattr(kept, "playing", False),
                                   setattr(kept, "job", None)))
    if viewer.presenting():
        show_test, log_loss = state.get("compare.show_test", True), state.get("compare.log_loss", False)
    else:
        with view:
            show_test = st.toggle(t("compare.show_test"), value=True, key="compare.show_test")
            log_loss = st.toggle(t("compare.log_loss"), value=False, key="compare.log_loss")

    interval = kept.pace.interval(kept)

    @st.fragment(run_every=interval if playing else None)
    def live() -> None:
        started = time.thread_time()
        if kept.playing or kept.job is not None:
            scheduler.ACTIVITY.tick(kept)
        if kept.job is not None:
            # By epochs, lock-steps are the leader's: if a run finishes the leader may change, and the count with it.
            leader_may_change = comparison.align == "epochs" and _finished(comparison) != kept.job_finished
            if kept.job.run(comparison, TRAIN_SECONDS_PER_TICK) or leader_may_change:
                kept.job = None
                st.rerun()  # done: the buttons show Play again
            st.progress(kept.job.fraction, text=t("compare.job_progress", done=kept.job.done, total=kept.job.total))
        elif kept.playing:
            train(comparison, MAX_STEPS_PER_TICK, cpu_budget(TRAIN_SECONDS_PER_TICK))
            if comparison.finished:
                kept.playing = False
                st.rerun()
        st.caption(t("compare.progress_epochs", epoch=comparison.epoch) if by_epochs
                   else t("compare.progress_steps", step=comparison.step))
        _shown(comparison, run_labels, show_test, log_loss)
        kept.pace.spent(time.thread_time() - started)
        if playing and not 0.67 < kept.pace.interval(kept) / interval < 1.5:
            st.rerun()  # the page's pace no longer fits its cost or the server's load: take the new one

    live()
    take_home.panel(PAGE, {label: take_home.Run(run) for label, run in zip(run_labels, comparison.runs)}, busy=playing,
                    image_hint=t("takehome.image_hint_charts"))


if __name__ == "__main__":  # Streamlit runs this file as the page
    page()
