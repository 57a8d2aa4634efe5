"""Backprop by hand: step forward and backward through the course's one-neuron example.

The engine (`engine.experiments.backprop`) runs the pass with autograd and lists every value; this page
reveals them one at a time on a diagram of the neuron (values on the forward arrows,
gradients on the backward ones) and in a table, and can train again from the new weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.core.config import MAX_LEARNING_RATE, ConfigError
from engine.course.links import no_settings
from engine.experiments.backprop import (
    COURSE_EXAMPLE,
    MAX_ABS_VALUE,
    MAX_PASSES,
    BackpropPass,
    Step,
    WorkedExample,
    number,
    passes,
)
from playground import lesson_panel, palette, urls, viewer
from playground.i18n import t
from playground.problems import say
from playground.viewer import Viewer

PAGE = "backprop"
FIELDS = ("x1", "x2", "w1", "w2", "target", "learning_rate")
NUMBERS = "backprop.numbers"  # the worked example's numbers in use, by field (the inputs start from them)
GENERATION = "backprop.inputs"  # bumped to replace the inputs (the course's numbers button)
SYMBOLS = {"x1": "x₁", "x2": "x₂", "w1": "w₁", "w2": "w₂", "target": "t", "learning_rate": "η"}

# The diagram, in plot units (the axes keep one unit equally long both ways, so nodes stay round).
# Edges are long enough for an 18 px label beside each, even on a 1024 px projector with the sidebar open.
NODES = {"x1": (0.8, 5.2), "x2": (0.8, 0.8), "sum": (5.0, 3.0), "sigmoid": (8.6, 3.0), "loss": (12.2, 3.0)}
EDGES = {"w1": ("x1", "sum"), "w2": ("x2", "sum"), "z": ("sum", "sigmoid"), "a": ("sigmoid", "loss")}
RADIUS = 0.6
LANE = 0.15  # the forward arrow runs this far above the edge's centre line, the backward one as far below
LABEL_GAP = 0.85  # labels sit this far off the edge, values above and gradients below
# Which edge carries each step's value; the loss and σ's local derivative sit by their nodes.
FORWARD_ON = {"z": "z", "a": "a"}
BACKWARD_ON = {"dL_da": "a", "dL_dz": "z", "dL_dw1": "w1", "dL_dw2": "w2"}
BESIDE_NODE = {"loss": ("loss", 0.0, -1.45), "da_dz": ("sigmoid", 0.0, -1.45)}
UPDATES = {"w1_new": "w1", "w2_new": "w2"}

FONT_SIZE = 18  # readable from the back of a classroom on a projector
NODE_FONT_SIZE = 26


@dataclass(frozen=True)
class Label:
    """One text on the diagram: where, what, and whether it is the step just taken."""

    x: float
    y: float
    text: str
    colour: str
    current: bool = False
    boxed: bool = True  # on a white box, to stay readable where it crosses an arrow (not inside a node)


def _unit(start: tuple[float, float], end: tuple[float, float]) -> tuple[float, float]:
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy)
    return dx / length, dy / length


def _edge_points(edge: str, lane: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where an edge's arrow starts and ends: node rim to node rim, `lane` off the centre line."""
    start, end = NODES[EDGES[edge][0]], NODES[EDGES[edge][1]]
    ux, uy = _unit(start, end)
    nx, ny = -uy, ux  # left of the direction of travel: "above" for an edge going right
    return ((start[0] + RADIUS * ux + lane * nx, start[1] + RADIUS * uy + lane * ny),
            (end[0] - RADIUS * ux + lane * nx, end[1] - RADIUS * uy + lane * ny))


def _beside_edge(edge: str, offset: float) -> tuple[float, float]:
    (x0, y0), (x1, y1) = _edge_points(edge, 0.0)
    ux, uy = _unit((x0, y0), (x1, y1))
    return (x0 + x1) / 2 - uy * offset, (y0 + y1) / 2 + ux * offset


def _value_text(step: Step) -> str:
    return f"{step.symbol} = {number(step.value)}"


def diagram_labels(backprop: BackpropPass, shown: int) -> list[Label]:
    """Every text on the diagram after `shown` steps: revealed values in colour, the rest as "?"."""
    example = backprop.example
    revealed = {step.id: step for step in backprop.steps[:shown]}
    current = backprop.steps[shown - 1].id if shown else None
    labels = [Label(*NODES["x1"], f"x₁<br>{number(example.x1)}", palette.FORWARD, boxed=False),
              Label(*NODES["x2"], f"x₂<br>{number(example.x2)}", palette.FORWARD, boxed=False),
              Label(NODES["loss"][0], NODES["loss"][1] + 1.2, f"t = {number(example.target)}", palette.FORWARD)]
    for step_id, weight in UPDATES.items():
        old = number(getattr(example, weight))
        text, colour = f"{SYMBOLS[weight]} = {old}", palette.FORWARD
        if step_id in revealed:
            text, colour = f"{SYMBOLS[weight]}: {old} → {number(revealed[step_id].value)}", palette.UPDATE
        labels.append(Label(*_beside_edge(weight, LABEL_GAP), text, colour, current == step_id))
    for step in backprop.steps:
        if step.id in UPDATES:
            continue
        if step.id in FORWARD_ON:
            x, y = _beside_edge(FORWARD_ON[step.id], LABEL_GAP)
        elif step.id in BACKWARD_ON:
            x, y = _beside_edge(BACKWARD_ON[step.id], -LABEL_GAP)
        else:
            node, dx, dy = BESIDE_NODE[step.id]
            x, y = NODES[node][0] + dx, NODES[node][1] + dy
        colour = palette.FORWARD if step.phase == "forward" else palette.BACKWARD
        if step.id in revealed:
            labels.append(Label(x, y, _value_text(step), colour, current == step.id))
        else:
            labels.append(Label(x, y, f"{step.symbol} = ?", palette.HIDDEN))
    return labels


def network_figure(backprop: BackpropPass, shown: int, *, view: Viewer) -> go.Figure:
    """The neuron x₁, x₂ → Σ → σ → L with forward arrows (values) above and backward arrows
    (gradients, drawn once the step that computes them is shown) below each edge."""
    figure = go.Figure()
    for name, (x, y) in NODES.items():
        figure.add_shape(type="circle", x0=x - RADIUS, y0=y - RADIUS, x1=x + RADIUS, y1=y + RADIUS,
                         line=dict(color=palette.DIAGRAM_RIM, width=2),
                         fillcolor=palette.DIAGRAM_INPUT if name.startswith("x") else palette.DIAGRAM_NODE)
    for symbol, node in (("Σ", "sum"), ("σ", "sigmoid"), ("L", "loss")):
        figure.add_annotation(x=NODES[node][0], y=NODES[node][1], text=symbol, showarrow=False,
                              font=dict(size=NODE_FONT_SIZE, color=palette.DIAGRAM_SYMBOL))
    revealed = {step.id for step in backprop.steps[:shown]}
    gradient_of = {edge: step_id for step_id, edge in BACKWARD_ON.items()}
    for edge in EDGES:
        (fx0, fy0), (fx1, fy1) = _edge_points(edge, LANE)
        figure.add_annotation(x=fx1, y=fy1, ax=fx0, ay=fy0, xref="x", yref="y", axref="x", ayref="y", text="",
                              showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=2.5, arrowcolor=palette.FORWARD)
        (bx0, by0), (bx1, by1) = _edge_points(edge, -LANE)
        colour = palette.BACKWARD if gradient_of[edge] in revealed else palette.HIDDEN
        figure.add_annotation(x=bx0, y=by0, ax=bx1, ay=by1, xref="x", yref="y", axref="x", ayref="y", text="",
                              showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=2.5, arrowcolor=colour)
    for label in diagram_labels(backprop, shown):
        figure.add_annotation(x=label.x, y=label.y, text=f"<b>{label.text}</b>" if label.current else label.text,
                              showarrow=False, font=dict(size=FONT_SIZE, color=label.colour),
                              bgcolor=palette.HIGHLIGHT if label.current else "white" if label.boxed else "rgba(0,0,0,0)",
                              bordercolor=label.colour if label.current else "rgba(0,0,0,0)", borderpad=4)
    figure.add_annotation(x=0.0, y=6.3, xanchor="left", showarrow=False, font=dict(size=FONT_SIZE - 2, color=palette.FORWARD),
                          text=t("backprop.legend.forward", view.lang))
    figure.add_annotation(x=0.0, y=-0.3, xanchor="left", showarrow=False, font=dict(size=FONT_SIZE - 2, color=palette.BACKWARD),
                          text=t("backprop.legend.backward", view.lang))
    figure.update_xaxes(range=[-0.3, 13.3], visible=False, fixedrange=True)
    figure.update_yaxes(range=[-0.6, 6.6], visible=False, fixedrange=True, scaleanchor="x", scaleratio=1)
    figure.update_layout(height=440, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white", showlegend=False,
                         dragmode=False)
    return figure


def loss_by_update_figure(losses: list[float], *, view: Viewer) -> go.Figure:
    """The loss with the weights after 0, 1, 2, ... updates: it should fall at every step."""
    figure = go.Figure(go.Scatter(x=list(range(len(losses))), y=losses, mode="lines+markers+text",
                                  text=[number(loss) for loss in losses], textposition="top center", cliponaxis=False,
                                  textfont=dict(size=FONT_SIZE - 2), line=dict(color=palette.BACKWARD, width=3),
                                  marker=dict(size=10)))
    axis = dict(tickfont=dict(size=FONT_SIZE - 2), title_font=dict(size=FONT_SIZE))
    figure.update_layout(height=300, margin=dict(l=70, r=20, t=40, b=60), showlegend=False,
                         xaxis=dict(title=t("backprop.loss_chart.x", view.lang), dtick=1, range=[-0.5, len(losses) - 0.5],
                                    **axis),
                         yaxis=dict(title=t("backprop.loss_chart.y", view.lang), **axis))
    return figure


def steps_table(steps: list[Step]) -> pd.DataFrame:
    """The steps taken so far, one row each: name, formula, the numbers in it, and the value."""
    return pd.DataFrame({
        t("backprop.column.step"): [t(f"backprop.step.{step.id}") for step in steps],
        t("backprop.column.formula"): [step.formula for step in steps],
        t("backprop.column.numbers"): [step.substituted for step in steps],
        t("backprop.column.value"): [number(step.value) for step in steps],
    }, index=range(1, len(steps) + 1))


def _highlight_last(row: pd.Series, last: int) -> list[str]:
    return [f"background-color: {palette.HIGHLIGHT}; font-weight: bold" if row.name == last else ""] * len(row)


def _example_from_state() -> WorkedExample:
    return WorkedExample(**{name: float(value) for name, value in st.session_state[NUMBERS].items()})


def _input_key(name: str) -> str:
    """The number input's key; a new generation of keys gives fresh inputs (see `_course_numbers`)."""
    generation = st.session_state.get(GENERATION, 0)
    return f"backprop.{name}" if generation == 0 else f"backprop.{name}.{generation}"


def _start_over() -> None:
    st.session_state.update({"backprop.shown": 0, "backprop.pass": 0})


def _course_numbers() -> None:
    state = st.session_state
    state[NUMBERS] = {name: float(getattr(COURSE_EXAMPLE, name)) for name in FIELDS}
    state[GENERATION] = state.get(GENERATION, 0) + 1  # fresh inputs, which start at the course's numbers
    _start_over()


def _restore_numbers() -> None:
    """The numbers this page last used (the course's on a first visit), kept apart from the inputs:
    Streamlit forgets a widget's value once a run of another page leaves the widget out."""
    state = st.session_state
    state.setdefault(NUMBERS, {name: float(getattr(COURSE_EXAMPLE, name)) for name in FIELDS})
    state.setdefault("backprop.shown", 0)
    state.setdefault("backprop.pass", 0)


def _number_inputs() -> None:
    numbers = st.session_state[NUMBERS]
    with st.expander(t("backprop.numbers.title")):
        columns = st.columns(3)
        for index, name in enumerate(FIELDS):
            low = 0.0 if name == "learning_rate" else -MAX_ABS_VALUE
            high = MAX_LEARNING_RATE if name == "learning_rate" else MAX_ABS_VALUE
            # Each input starts at the number in use (not at its minimum): an input the browser
            # re-creates under load then comes back with the same number, not -100.
            numbers[name] = columns[index % 3].number_input(
                t(f"backprop.numbers.{name}"), low, high, value=numbers[name], step=0.1, format="%.4g",
                key=_input_key(name), on_change=_start_over)
        st.button(t("backprop.numbers.course"), key="backprop.course", on_click=_course_numbers)


def _move(by: int, total: int) -> None:
    """Step forward (or back) from the step the session is at when the press arrives, not the one
    the buttons were drawn at: a presenter's clicker can press again before the page has redrawn."""
    state = st.session_state
    state["backprop.shown"] = min(max(state["backprop.shown"] + by, 0), total)


def _buttons(shown: int, total: int, pass_index: int) -> None:
    state = st.session_state
    # A row that wraps: five buttons keep their whole labels even on a narrow projector screen.
    # The arrow keys step too, as a presenter's clicker does.
    with st.container(horizontal=True):
        st.button(t("backprop.button.back"), key="backprop.back", icon=":material/arrow_back:", shortcut="Left",
                  disabled=shown == 0, on_click=_move, args=(-1, total))
        st.button(t("backprop.button.next"), key="backprop.next", icon=":material/arrow_forward:", type="primary",
                  shortcut="Right", disabled=shown == total, on_click=_move, args=(1, total))
        st.button(t("backprop.button.all"), key="backprop.all", icon=":material/fast_forward:", disabled=shown == total,
                  on_click=lambda: state.update({"backprop.shown": total}))
        st.button(t("backprop.button.again"), key="backprop.again", icon=":material/replay:",
                  disabled=shown < total or pass_index + 1 >= MAX_PASSES,
                  on_click=lambda: state.update({"backprop.pass": pass_index + 1, "backprop.shown": 0}))
        st.button(t("backprop.button.reset"), key="backprop.reset", icon=":material/restart_alt:", on_click=_start_over)


def _current_step(backprop: BackpropPass, shown: int) -> None:
    if shown == 0:
        st.info(t("backprop.start_hint"))
        return
    step = backprop.steps[shown - 1]
    st.subheader(t("backprop.current", number=shown, total=len(backprop.steps), name=t(f"backprop.step.{step.id}")))
    st.markdown(f"#### {step.formula} = {step.substituted} = **{number(step.value)}**")
    st.caption(t(f"backprop.why.{step.id}"))
    if shown == len(backprop.steps):
        st.success(t("backprop.loss_fell", before=number(backprop.loss), after=number(backprop.loss_after)))


def page() -> None:
    state = st.session_state
    _restore_numbers()
    if urls.load_requested(PAGE) or "backprop.visited" not in state:  # first visit, or opened from a lesson
        state["backprop.visited"] = True
        urls.loaded(PAGE, dict(state[NUMBERS]), no_settings(urls.page_query()))  # the page has no settings in links
    if not viewer.presenting():
        st.title(t("backprop.title"))
        st.markdown(t("backprop.intro"))
    urls.follow(PAGE, dict(state[NUMBERS]), {})  # a link's problems, until the student changes a number
    _number_inputs()
    try:
        history = passes(_example_from_state(), int(state["backprop.pass"]) + 1)
    except ConfigError as error:
        st.error(t("backprop.bad_numbers", error=say(error)))
        return
    backprop, total = history[-1], len(history[-1].steps)
    shown = min(int(state["backprop.shown"]), total)
    lesson_panel.show(PAGE, progress=(len(history) - 1) * total + shown)
    _buttons(shown, total, len(history) - 1)
    st.caption(t("backprop.progress", pass_number=len(history), number=shown, total=total))
    # The step's formula first, right under the buttons; the diagram gets the page's full width
    # so its fixed-size labels never collide on a narrow projector screen.
    _current_step(backprop, shown)
    st.plotly_chart(network_figure(backprop, shown, view=viewer.current()), width="stretch", key="backprop.diagram",
                    config={"displayModeBar": False, "staticPlot": True})
    if shown:
        table = steps_table(backprop.steps[:shown])
        st.dataframe(table.style.apply(_highlight_last, axis=1, last=shown), width="stretch")
    losses = [p.loss for p in history] + ([backprop.loss_after] if shown == total else [])
    if len(losses) > 1:
        st.subheader(t("backprop.loss_chart.title"))
        st.plotly_chart(loss_by_update_figure(losses, view=viewer.current()), width="stretch", key="backprop.losses")


if __name__ == "__main__":  # Streamlit runs this file as the page
    page()
