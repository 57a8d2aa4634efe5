"""Plotly figures, built by plain functions from engine data; their texts are in the session's
language (texts/<lang>/figures.toml)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np

# Plotly looks pandas up in sys.modules without waiting for its import to finish. With fast
# reruns, a new script run can draw a figure while the interrupted run is still importing
# pandas (for st.dataframe) on a fresh server; importing it with this module closes that race.
import pandas  # noqa: F401
import plotly.graph_objects as go
from PIL import Image

from playground import viewer
from playground.i18n import t

TRAIN_COLOUR, TEST_COLOUR = "#0072B2", "#E69F00"  # Okabe-Ito: readable for colour-blind viewers
LAYER_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def _layout(figure: go.Figure, title: str, x_title: str, y_title: str, height: int = 320) -> go.Figure:
    scale = viewer.scale()  # presenter mode: larger text, lines and markers for the back of the room
    figure.update_layout(title=title, height=round(height * scale), font=dict(size=round(14 * scale)),
                         margin=dict(l=round(60 * scale), r=20, t=round(50 * scale), b=round(50 * scale)),
                         legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0))
    if scale != 1:
        for trace in figure.data:  # not every trace type has lines or sized markers (bars, heatmaps)
            line, marker = getattr(trace, "line", None), getattr(trace, "marker", None)
            if line is not None and getattr(line, "width", None):
                line.width = line.width * scale
            if marker is not None and isinstance(getattr(marker, "size", None), (int, float)):
                marker.size = marker.size * scale
    figure.update_xaxes(title=x_title)
    figure.update_yaxes(title=y_title)
    return figure


def smooth(values: Sequence[float], window: int = 25) -> np.ndarray:
    """Moving average, so the noisy per-batch loss reads as a trend."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return values
    window = max(1, min(window, len(values) // 5 or 1))
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def loss_figure(batch_loss: Sequence[float], steps_per_epoch: int, epochs: Sequence[float],
                test_loss: Sequence[float]) -> go.Figure:
    """Training loss per mini-batch (smoothed) and test loss at each snapshot, by epoch."""
    smoothed = smooth(batch_loss)
    x = (np.arange(len(smoothed)) + (len(batch_loss) - len(smoothed)) + 1) / steps_per_epoch
    figure = go.Figure([
        go.Scatter(x=x, y=smoothed, name=t("figures.mnist.train_batches"), line=dict(color=TRAIN_COLOUR, width=3)),
        go.Scatter(x=list(epochs), y=list(test_loss), name=t("figures.mnist.test_images"), mode="lines+markers",
                   line=dict(color=TEST_COLOUR, width=3, dash="dash"), marker=dict(size=9)),
    ])
    return _layout(figure, t("figures.mnist.loss_title"), t("figures.axis.epoch"), t("figures.axis.cross_entropy"),
                   height=360)


def accuracy_figure(epochs: Sequence[float], train_acc: Sequence[float], test_acc: Sequence[float]) -> go.Figure:
    figure = go.Figure([
        go.Scatter(x=list(epochs), y=list(train_acc), name=t("figures.mnist.train_epoch_mean"), mode="lines+markers",
                   line=dict(color=TRAIN_COLOUR, width=3), marker=dict(size=9)),
        go.Scatter(x=list(epochs), y=list(test_acc), name=t("figures.mnist.test_epoch_end"), mode="lines+markers",
                   line=dict(color=TEST_COLOUR, width=3, dash="dash"), marker=dict(size=9)),
    ])
    figure.update_yaxes(tickformat=".1%")
    return _layout(figure, t("figures.mnist.accuracy_title"), t("figures.axis.epoch"), t("figures.axis.accuracy"),
                   height=360)


def gradient_figure(names: Sequence[str], norms: Sequence[float]) -> go.Figure:
    """Each layer's weight-gradient size at the last step, input layer first (log scale)."""
    figure = go.Figure(go.Bar(x=list(names), y=list(norms), marker_color=LAYER_COLOURS[: len(names)] * 4))
    figure.update_yaxes(type="log")
    return _layout(figure, t("figures.mnist.gradient_title"), t("figures.axis.layer"), t("figures.axis.gradient_norm"))


def confusion_figure(matrix: np.ndarray) -> go.Figure:
    """Confusion matrix: rows are the true digits, columns the predicted ones."""
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    digits = [str(d) for d in range(len(matrix))]
    figure = go.Figure(go.Heatmap(
        z=np.sqrt(share), x=digits, y=digits, text=matrix, texttemplate="%{text}", colorscale="Blues", showscale=False,
        hovertemplate=t("figures.mnist.confusion_hover")))
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_xaxes(type="category", side="bottom")
    return _layout(figure, t("figures.mnist.confusion_title"), t("figures.axis.predicted_digit"),
                   t("figures.axis.true_digit"), height=520)


def probabilities_figure(probabilities: np.ndarray, label: int | None = None) -> go.Figure:
    """The softmax output: one bar per digit, the true digit (if known) highlighted."""
    colours = [TEST_COLOUR if d == label else TRAIN_COLOUR for d in range(len(probabilities))]
    figure = go.Figure(go.Bar(x=[str(d) for d in range(len(probabilities))], y=probabilities, marker_color=colours,
                              text=[f"{p:.0%}" for p in probabilities], textposition="outside"))
    figure.update_yaxes(range=[0, 1.15], tickformat=".0%")
    return _layout(figure, t("figures.mnist.softmax_title"), t("figures.axis.digit"), t("figures.axis.probability"),
                   height=300)


def tile(images: np.ndarray, columns: int, gap: int = 2, scale: int = 1) -> np.ndarray:
    """Grey images (n, h, w) in [0, 1] laid out on a white grid, enlarged `scale` times."""
    n, h, w = images.shape
    rows = -(-n // columns)
    sheet = np.ones((rows * (h + gap) - gap, columns * (w + gap) - gap), dtype=np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        sheet[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = image
    return np.kron(sheet, np.ones((scale, scale), dtype=np.float32))


def rescale(images: np.ndarray) -> np.ndarray:
    """Each image (filter or feature map) stretched to [0, 1] on its own, to show its pattern."""
    low = images.min(axis=(-2, -1), keepdims=True)
    span = images.max(axis=(-2, -1), keepdims=True) - low
    return np.where(span > 1e-8, (images - low) / np.where(span > 1e-8, span, 1), 0.5)


def png_data_uri(image: np.ndarray) -> str:
    """A grey image in [0, 1] as an inline PNG: sent with the page, so quick reruns cannot
    ask for an image file that has already been replaced (st.image's media files can)."""
    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


# Two-class colours as on the live 2D view: orange for class 0, blue for class 1, white where undecided.
BOUNDARY_SCALE = [[0.0, "#f5c97a"], [0.5, "#ffffff"], [1.0, "#7fb3d9"]]
RUN_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]
CLASS_COLOURS = ["#E69F00", "#0072B2", "#009E73", "#CC79A7"]  # as the live view paints classes 0, 1, 2
VALUE_SCALE = [[0.0, "#E69F00"], [0.5, "#ffffff"], [1.0, "#0072B2"]]  # regression: orange low, blue high


def boundary_figure(grid, data, title: str, show_test: bool = True) -> go.Figure:
    """What a 2D run answers over the plane, with train points (filled) and test points (rings):
    binary, P(class 1) with the 0.5 contour; three or more classes, the most likely class
    (paler where unsure); regression, the predicted value on a diverging scale, points
    coloured by their target on the same scale."""
    if grid.task == "regression":
        return _regression_figure(grid, data, title, show_test)
    if grid.task == "multiclass":
        probabilities = np.asarray(grid.output)
        winner = probabilities.argmax(axis=-1)
        sure = probabilities.max(axis=-1)
        # One colour band per class, its strength by how sure the net is: z = class + certainty in [0, 1).
        n = probabilities.shape[-1]
        z = winner + (sure - 1 / n) / (1 - 1 / n) * 0.999
        scale = []
        for k in range(n):
            colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
            scale += [[k / n, "#ffffff"], [(k + 1) / n - 1e-6, colour]]
        base = [go.Heatmap(x=grid.x1, y=grid.x2, z=z, zmin=0, zmax=n, colorscale=scale, showscale=False, opacity=0.55,
                           hoverinfo="skip")]
        classes = list(range(n))
    else:
        base = [
            go.Heatmap(x=grid.x1, y=grid.x2, z=grid.probability, zmin=0, zmax=1, colorscale=BOUNDARY_SCALE, showscale=False,
                       hovertemplate=t("figures.boundary.hover")),
            go.Contour(x=grid.x1, y=grid.x2, z=grid.probability, contours=dict(start=0.5, end=0.5, coloring="none"),
                       line=dict(color="#111827", width=3), showscale=False, hoverinfo="skip"),
        ]
        classes = [0, 1]
    figure = go.Figure(base)
    colours = [TEST_COLOUR, TRAIN_COLOUR] if len(classes) == 2 else CLASS_COLOURS
    splits = [("train", data.x_train, data.y_train)] + ([("test", data.x_test, data.y_test)] if show_test else [])
    for split, x, y in splits:
        for label in classes:
            colour = colours[label % len(colours)]
            chosen = x[y == label]
            marker = (dict(color=colour, size=8, line=dict(color="white", width=1)) if split == "train"
                      else dict(color="white", size=8, line=dict(color=colour, width=2.5)))
            name = (t("figures.boundary.train_points", label=label) if split == "train"
                    else t("figures.boundary.test_points", label=label))
            figure.add_trace(go.Scatter(x=chosen[:, 0], y=chosen[:, 1], mode="markers", marker=marker, name=name,
                                        showlegend=False))
    return _plane_layout(figure, data, title)


def _regression_figure(grid, data, title: str, show_test: bool) -> go.Figure:
    targets = np.concatenate([data.y_train, data.y_test])
    limit = float(np.nanmax(np.abs(targets))) or 1.0
    figure = go.Figure([go.Heatmap(x=grid.x1, y=grid.x2, z=grid.output, zmin=-limit, zmax=limit, colorscale=VALUE_SCALE,
                                   colorbar=dict(thickness=12, len=0.8), hovertemplate=t("figures.boundary.value_hover"))])
    splits = [("train", data.x_train, data.y_train)] + ([("test", data.x_test, data.y_test)] if show_test else [])
    for split, x, y in splits:
        figure.add_trace(go.Scatter(
            x=x[:, 0], y=x[:, 1], mode="markers", showlegend=False,
            marker=dict(color=y, cmin=-limit, cmax=limit, colorscale=VALUE_SCALE, size=8,
                        line=dict(color="#9ca3af" if split == "train" else "#111827", width=1.5)),
            name=t("figures.boundary.train_values") if split == "train" else t("figures.boundary.test_values")))
    return _plane_layout(figure, data, title)


def _plane_layout(figure: go.Figure, data, title: str) -> go.Figure:
    figure.update_yaxes(scaleanchor="x", constrain="domain")
    figure.update_xaxes(constrain="domain", range=list(data.bounds[0]))
    figure = _layout(figure, title, "x1", "x2", height=380)
    figure.update_layout(showlegend=False)
    return figure


def _x_values(histories: Sequence, epochs: Sequence[Sequence[float]] | None) -> tuple[list, str]:
    """Each run's x values (its snapshots' steps, or the epochs given) and the axis title."""
    if epochs is None:
        return [history.steps for history in histories], t("figures.axis.step")
    return [list(run_epochs) for run_epochs in epochs], t("figures.axis.epoch")


def overlay_loss_figure(labels: Sequence[str], histories: Sequence, log: bool = False,
                        epochs: Sequence[Sequence[float]] | None = None) -> go.Figure:
    """Each run's train (solid) and test (dashed) loss, one colour per run, against the
    training step, or against the epoch if each run's snapshot `epochs` are given."""
    figure = go.Figure()
    xs, x_title = _x_values(histories, epochs)
    for label, history, x, colour in zip(labels, histories, xs, RUN_COLOURS):
        figure.add_trace(go.Scatter(x=x, y=history.train_loss, name=t("figures.compare.train", run=label),
                                    line=dict(color=colour, width=3)))
        figure.add_trace(go.Scatter(x=x, y=history.test_loss, name=t("figures.compare.test", run=label),
                                    line=dict(color=colour, width=3, dash="dash")))
    if log:
        figure.update_yaxes(type="log")
    return _layout(figure, t("figures.compare.loss_title"), x_title, t("figures.axis.loss"), height=380)


def gradient_bars_figure(names: Sequence[str], norms: Sequence[float], title: str, y_range: tuple[float, float]) -> go.Figure:
    """One run's per-layer gradient sizes on a log scale fixed by `y_range` (log10 bounds),
    so runs side by side share a scale."""
    figure = gradient_figure(names, norms)
    figure.update_yaxes(range=list(y_range))
    figure.update_layout(title=title, height=300)
    return figure


OPTIMIZER_COLOURS = {"sgd": "#000000", "momentum": "#E69F00", "nesterov": "#D55E00", "adagrad": "#56B4E9",
                     "rmsprop": "#009E73", "adadelta": "#CC79A7", "adam": "#0072B2", "nadam": "#9467BD"}


def race_figure(grid: tuple[np.ndarray, np.ndarray, np.ndarray], trajectories: dict, shown_steps: int,
                minima: Sequence[tuple[float, float]], names: dict[str, str], log_contours: bool) -> go.Figure:
    """The surface's contours with each optimizer's path up to `shown_steps`; an invisible
    grid of points on top catches clicks (a click picks a new start)."""
    xs, ys, z = grid
    figure = go.Figure(go.Contour(x=xs, y=ys, z=z, ncontours=30, colorscale="Greys", reversescale=True, showscale=False,
                                  line=dict(width=0.5), opacity=0.55, hoverinfo="skip"))
    step_x, step_y = max(1, len(xs) // 25), max(1, len(ys) // 25)
    click_x, click_y = np.meshgrid(xs[::step_x], ys[::step_y])
    figure.add_trace(go.Scatter(x=click_x.ravel(), y=click_y.ravel(), mode="markers", marker=dict(size=10, opacity=0),
                                hovertemplate=t("figures.race.click_hover"), showlegend=False,
                                name=t("figures.race.click_here")))
    for name, trajectory in trajectories.items():
        points = trajectory.points[: shown_steps + 1]
        colour = OPTIMIZER_COLOURS.get(name, "#333333")
        figure.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="lines", name=names.get(name, name),
                                    line=dict(color=colour, width=3)))
        figure.add_trace(go.Scatter(x=points[-1:, 0], y=points[-1:, 1], mode="markers", showlegend=False,
                                    marker=dict(color=colour, size=11, line=dict(color="white", width=1.5)),
                                    hovertemplate=f"{names.get(name, name)}: (%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    if trajectories:
        start = next(iter(trajectories.values())).points[0]
        figure.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", name=t("figures.race.start"),
                                    marker=dict(symbol="circle-open", size=16, color="#111827", line=dict(width=3))))
    figure.add_trace(go.Scatter(x=[m[0] for m in minima], y=[m[1] for m in minima], mode="markers",
                                name=t("figures.race.minimum"),
                                marker=dict(symbol="star", size=16, color="#111827")))
    figure.update_xaxes(range=[xs[0], xs[-1]])
    figure.update_yaxes(range=[ys[0], ys[-1]])
    title = t("figures.race.paths_title_log") if log_contours else t("figures.race.paths_title")
    figure = _layout(figure, title, "x", "y", height=560)
    figure.update_layout(clickmode="event+select", dragmode=False)
    return figure


def race_loss_figure(trajectories: dict, shown_steps: int, names: dict[str, str]) -> go.Figure:
    """Each optimizer's loss against the step (log scale), up to `shown_steps`."""
    figure = go.Figure()
    for name, trajectory in trajectories.items():
        losses = trajectory.losses[: shown_steps + 1]
        figure.add_trace(go.Scatter(x=np.arange(len(losses)), y=np.maximum(losses, 1e-12), name=names.get(name, name),
                                    line=dict(color=OPTIMIZER_COLOURS.get(name, "#333333"), width=3)))
    figure.update_yaxes(type="log")
    return _layout(figure, t("figures.race.loss_title"), t("figures.axis.race_step"), t("figures.axis.log_loss"),
                   height=560)


def _metric_name(metric: str) -> str:
    return {"train_loss": t("figures.metric.train_loss"), "test_loss": t("figures.metric.test_loss"),
            "train_acc": t("figures.metric.train_acc"), "test_acc": t("figures.metric.test_acc")}[metric]


def seeds_band_figure(labels: Sequence[str], histories: Sequence, metric: str = "test_acc",
                      epochs: Sequence[Sequence[float]] | None = None) -> go.Figure:
    """Each run's mean over its seeds, with a band from the worst seed to the best: "it
    worked once" becomes "it works" (or does not). Against the step, or the epochs given."""
    figure = go.Figure()
    xs, x_title = _x_values(histories, epochs)
    for label, history, x, colour in zip(labels, histories, xs, RUN_COLOURS):
        values = np.stack(getattr(history, metric))  # (snapshots, seeds)
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        figure.add_trace(go.Scatter(x=x, y=np.nanmax(values, axis=1), line=dict(width=0), showlegend=False,
                                    hoverinfo="skip"))
        figure.add_trace(go.Scatter(x=x, y=np.nanmin(values, axis=1), line=dict(width=0), fill="tonexty",
                                    fillcolor=f"rgba({red},{green},{blue},0.2)", showlegend=False, hoverinfo="skip"))
        figure.add_trace(go.Scatter(x=x, y=np.nanmean(values, axis=1), line=dict(color=colour, width=3),
                                    name=t("figures.compare.seeds_mean", run=label, n=values.shape[1])))
    if metric.endswith("acc"):
        figure.update_yaxes(tickformat=".0%")
    return _layout(figure, t("figures.compare.seeds_title"), x_title, _metric_name(metric), height=380)
