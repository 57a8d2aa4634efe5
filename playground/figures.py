"""Plotly figures, built by pure functions from engine data and a `Viewer`: its language
picks the texts (texts/<lang>/figures.toml), its scale the size of fonts, lines and markers
(presenter mode). Nothing here reads the session: pages pass `viewer.current()`. Colours
come from `playground.palette`."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Plotly looks pandas up in sys.modules without waiting for its import to finish. With fast
# reruns, a new script run can draw a figure while the interrupted run is still importing
# pandas (for st.dataframe) on a fresh server; importing it with this module closes that race.
import pandas  # noqa: F401
import plotly.graph_objects as go
from PIL import Image

from playground import palette
from playground.i18n import t
from playground.viewer import Viewer


def _layout(figure: go.Figure, view: Viewer, title: str, x_title: str, y_title: str, height: int = 320) -> go.Figure:
    scale = view.scale  # presenter mode: larger text, lines and markers for the back of the room
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


def loss_figure(batch_steps: Sequence[int], batch_loss: Sequence[float], steps_per_epoch: int, epochs: Sequence[float],
                test_loss: Sequence[float], stop: EarlyStop | None = None, *, view: Viewer) -> go.Figure:
    """Training loss per mini-batch (smoothed; `batch_steps` is the step of each value, as a
    long run keeps one value per bucket of steps) and test loss at each snapshot, by epoch;
    where early stopping ended the run (`stop`, in epochs), a line and a ring on the lowest test loss."""
    lang = view.lang
    smoothed = smooth(batch_loss)
    x = np.asarray(batch_steps, dtype=float)[len(batch_loss) - len(smoothed):] / steps_per_epoch
    figure = go.Figure([
        go.Scatter(x=x, y=smoothed, name=t("figures.mnist.train_batches", lang), line=dict(color=palette.TRAIN, width=3)),
        go.Scatter(x=list(epochs), y=list(test_loss), name=t("figures.mnist.test_images", lang), mode="lines+markers",
                   line=dict(color=palette.TEST, width=3, dash="dash"), marker=dict(size=9)),
    ])
    if stop is not None:
        mark_early_stop(figure, stop, palette.TEST, t("figures.early_stop", lang), lang)
    return _layout(figure, view, t("figures.mnist.loss_title", lang), t("figures.axis.epoch", lang),
                   t("figures.axis.cross_entropy", lang), height=360)


def accuracy_figure(epochs: Sequence[float], train_acc: Sequence[float], test_acc: Sequence[float], *,
                    view: Viewer) -> go.Figure:
    lang = view.lang
    figure = go.Figure([
        go.Scatter(x=list(epochs), y=list(train_acc), name=t("figures.mnist.train_epoch_mean", lang), mode="lines+markers",
                   line=dict(color=palette.TRAIN, width=3), marker=dict(size=9)),
        go.Scatter(x=list(epochs), y=list(test_acc), name=t("figures.mnist.test_epoch_end", lang), mode="lines+markers",
                   line=dict(color=palette.TEST, width=3, dash="dash"), marker=dict(size=9)),
    ])
    figure.update_yaxes(tickformat=".1%")
    if not len(epochs):  # nothing measured yet: the axes of an accuracy, not Plotly's -100% to 400%
        figure.update_xaxes(range=[0, 1])
        figure.update_yaxes(range=[0, 1])
    return _layout(figure, view, t("figures.mnist.accuracy_title", lang), t("figures.axis.epoch", lang),
                   t("figures.axis.accuracy", lang), height=360)


def gradient_figure(names: Sequence[str], norms: Sequence[float], *, view: Viewer) -> go.Figure:
    """Each layer's weight-gradient size at the last step, input layer first (log scale)."""
    lang = view.lang
    figure = go.Figure(go.Bar(x=list(names), y=list(norms), marker_color=list(palette.SERIES[: len(names)]) * 4))
    figure.update_yaxes(type="log")
    return _layout(figure, view, t("figures.mnist.gradient_title", lang), t("figures.axis.layer", lang),
                   t("figures.axis.gradient_norm", lang))


def confusion_figure(matrix: np.ndarray, *, view: Viewer) -> go.Figure:
    """Confusion matrix: rows are the true digits, columns the predicted ones."""
    lang = view.lang
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    digits = [str(d) for d in range(len(matrix))]
    figure = go.Figure(go.Heatmap(
        z=np.sqrt(share), x=digits, y=digits, text=matrix, texttemplate="%{text}", colorscale="Blues", showscale=False,
        hovertemplate=t("figures.mnist.confusion_hover", lang)))
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_xaxes(type="category", side="bottom")
    return _layout(figure, view, t("figures.mnist.confusion_title", lang), t("figures.axis.predicted_digit", lang),
                   t("figures.axis.true_digit", lang), height=520)


def probabilities_figure(probabilities: np.ndarray, label: int | None = None, *, view: Viewer) -> go.Figure:
    """The softmax output: one bar per digit, the true digit (if known) highlighted."""
    lang = view.lang
    colours = [palette.TEST if d == label else palette.TRAIN for d in range(len(probabilities))]
    figure = go.Figure(go.Bar(x=[str(d) for d in range(len(probabilities))], y=probabilities, marker_color=colours,
                              text=[f"{p:.0%}" for p in probabilities], textposition="outside"))
    figure.update_yaxes(range=[0, 1.15], tickformat=".0%")
    return _layout(figure, view, t("figures.mnist.softmax_title", lang), t("figures.axis.digit", lang),
                   t("figures.axis.probability", lang), height=300)


def tile(images: np.ndarray, columns: int, gap: int = 2, scale: int = 1) -> np.ndarray:
    """Grey images (n, h, w) in [0, 1], enlarged `scale` times and laid out in `columns`, `gap`
    image pixels apart, as one RGBA image (H, W, 4) in [0, 1] (for st.image or `png_data_uri`).

    The gaps are transparent, so they are the page's own background in a light or a dark theme
    (a white grid shows as bright bands on a dark page), and each image has a one-pixel frame in
    `palette.TILE_FRAME`, so where an image ends still shows when its edge is as dark (or as
    light) as the page."""
    n, h, w = images.shape
    rows = -(-n // columns)
    side_h, side_w, space, frame = h * scale, w * scale, gap * scale, 1
    step_h, step_w = side_h + space, side_w + space
    sheet = np.zeros((rows * step_h - space + 2 * frame, columns * step_w - space + 2 * frame, 4), dtype=np.float32)
    edge = np.array([*(int(palette.TILE_FRAME[i : i + 2], 16) / 255 for i in (1, 3, 5)), 1.0], dtype=np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        top, left = r * step_h + frame, c * step_w + frame
        sheet[top - frame : top + side_h + frame, left - frame : left + side_w + frame] = edge
        grey = np.kron(image, np.ones((scale, scale), dtype=np.float32))
        sheet[top : top + side_h, left : left + side_w, :3] = grey[..., None]
    return sheet


def rescale(images: np.ndarray) -> np.ndarray:
    """Each image (filter or feature map) stretched to [0, 1] on its own, to show its pattern."""
    low = images.min(axis=(-2, -1), keepdims=True)
    span = images.max(axis=(-2, -1), keepdims=True) - low
    return np.where(span > 1e-8, (images - low) / np.where(span > 1e-8, span, 1), 0.5)


def png_data_uri(image: np.ndarray) -> str:
    """A grey (h, w) or RGBA (h, w, 4) image in [0, 1] as an inline PNG: sent with the page, so
    quick reruns cannot ask for an image file that has already been replaced (st.image's media
    files can). RGBA keeps its transparency (`tile`'s gaps)."""
    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def boundary_figure(grid, data, title: str, show_test: bool = True, *, view: Viewer) -> go.Figure:
    """What a 2D run answers over the plane, with train points (filled) and test points (rings):
    binary, P(class 1) with the 0.5 contour; three or more classes, the most likely class
    (paler where unsure); regression, the predicted value on a diverging scale, points
    coloured by their target on the same scale."""
    lang = view.lang
    if grid.task == "regression":
        return _regression_figure(grid, data, title, show_test, view)
    if grid.task == "multiclass":
        probabilities = np.asarray(grid.output)
        winner = probabilities.argmax(axis=-1)
        sure = probabilities.max(axis=-1)
        # One colour band per class, its strength by how sure the net is: z = class + certainty in [0, 1).
        n = probabilities.shape[-1]
        z = winner + (sure - 1 / n) / (1 - 1 / n) * 0.999
        scale = []
        for k in range(n):
            colour = palette.CLASSES[k % len(palette.CLASSES)]
            scale += [[k / n, palette.WHITE], [(k + 1) / n - 1e-6, colour]]
        base = [go.Heatmap(x=grid.x1, y=grid.x2, z=z, zmin=0, zmax=n, colorscale=scale, showscale=False, opacity=0.55,
                           hoverinfo="skip")]
        classes = list(range(n))
    else:
        base = [
            go.Heatmap(x=grid.x1, y=grid.x2, z=grid.probability, zmin=0, zmax=1, colorscale=palette.BOUNDARY_SCALE,
                       showscale=False, hovertemplate=t("figures.boundary.hover", lang)),
            go.Contour(x=grid.x1, y=grid.x2, z=grid.probability, contours=dict(start=0.5, end=0.5, coloring="none"),
                       line=dict(color=palette.DARK, width=3), showscale=False, hoverinfo="skip"),
        ]
        classes = [0, 1]
    figure = go.Figure(base)
    colours = [palette.TEST, palette.TRAIN] if len(classes) == 2 else palette.CLASSES
    splits = [("train", data.x_train, data.y_train)] + ([("test", data.x_test, data.y_test)] if show_test else [])
    for split, x, y in splits:
        for label in classes:
            colour = colours[label % len(colours)]
            chosen = x[y == label]
            marker = (dict(color=colour, size=8, line=dict(color="white", width=1)) if split == "train"
                      else dict(color="white", size=8, line=dict(color=colour, width=2.5)))
            name = (t("figures.boundary.train_points", lang, label=label) if split == "train"
                    else t("figures.boundary.test_points", lang, label=label))
            figure.add_trace(go.Scatter(x=chosen[:, 0], y=chosen[:, 1], mode="markers", marker=marker, name=name,
                                        showlegend=False))
    return _plane_layout(figure, data, title, view)


def _regression_figure(grid, data, title: str, show_test: bool, view: Viewer) -> go.Figure:
    lang = view.lang
    targets = np.concatenate([data.y_train, data.y_test])
    limit = float(np.nanmax(np.abs(targets))) or 1.0
    figure = go.Figure([go.Heatmap(x=grid.x1, y=grid.x2, z=grid.output, zmin=-limit, zmax=limit, colorscale=palette.VALUE_SCALE,
                                   colorbar=dict(thickness=12, len=0.8), hovertemplate=t("figures.boundary.value_hover", lang))])
    splits = [("train", data.x_train, data.y_train)] + ([("test", data.x_test, data.y_test)] if show_test else [])
    for split, x, y in splits:
        figure.add_trace(go.Scatter(
            x=x[:, 0], y=x[:, 1], mode="markers", showlegend=False,
            marker=dict(color=y, cmin=-limit, cmax=limit, colorscale=palette.VALUE_SCALE, size=8,
                        line=dict(color=palette.LIGHT_RIM if split == "train" else palette.DARK, width=1.5)),
            name=t("figures.boundary.train_values", lang) if split == "train" else t("figures.boundary.test_values", lang)))
    return _plane_layout(figure, data, title, view)


def _plane_layout(figure: go.Figure, data, title: str, view: Viewer) -> go.Figure:
    figure.update_yaxes(scaleanchor="x", constrain="domain")
    figure.update_xaxes(constrain="domain", range=list(data.bounds[0]))
    figure = _layout(figure, view, title, "x1", "x2", height=380)
    figure.update_layout(showlegend=False)
    return figure


def _x_values(histories: Sequence, epochs: Sequence[Sequence[float]] | None, lang: str) -> tuple[list, str]:
    """Each run's x values (its snapshots' steps, or the epochs given) and the axis title."""
    if epochs is None:
        return [history.steps for history in histories], t("figures.axis.step", lang)
    return [list(run_epochs) for run_epochs in epochs], t("figures.axis.epoch", lang)


@dataclass(frozen=True)
class EarlyStop:
    """Where early stopping ended a run, in a figure's x units (steps or epochs): the stop, and
    where the test loss was lowest (`best_x`, `best_loss`)."""

    x: float
    best_x: float
    best_loss: float


def mark_early_stop(figure: go.Figure, stop: EarlyStop, colour: str, label: str, lang: str) -> None:
    """A dotted vertical line at the stop, labelled, and a ring on the lowest test loss."""
    figure.add_vline(x=stop.x, line=dict(color=colour, width=2, dash="dot"), annotation_text=label,
                     annotation_position="top left")
    figure.add_trace(go.Scatter(x=[stop.best_x], y=[stop.best_loss], mode="markers", showlegend=False,
                                name=t("figures.early_stop_best", lang),
                                marker=dict(symbol="circle-open", size=18, color=colour, line=dict(width=3)),
                                hovertemplate=t("figures.early_stop_best_hover", lang)))


def overlay_loss_figure(labels: Sequence[str], histories: Sequence, log: bool = False,
                        epochs: Sequence[Sequence[float]] | None = None, stops: Sequence[EarlyStop | None] = (), *,
                        view: Viewer) -> go.Figure:
    """Each run's train (solid) and test (dashed) loss, one colour per run, against the
    training step, or against the epoch if each run's snapshot `epochs` are given; where early
    stopping ended a run (`stops`, one per run or None), a line and a ring on its lowest test loss."""
    lang = view.lang
    figure = go.Figure()
    xs, x_title = _x_values(histories, epochs, lang)
    for label, history, x, colour in zip(labels, histories, xs, palette.RUNS):
        figure.add_trace(go.Scatter(x=x, y=history.train_loss, name=t("figures.compare.train", lang, run=label),
                                    line=dict(color=colour, width=3)))
        figure.add_trace(go.Scatter(x=x, y=history.test_loss, name=t("figures.compare.test", lang, run=label),
                                    line=dict(color=colour, width=3, dash="dash")))
    for label, stop, colour in zip(labels, stops, palette.RUNS):
        if stop is not None:
            mark_early_stop(figure, stop, colour, t("figures.compare.early_stop", lang, run=label), lang)
    if log:
        figure.update_yaxes(type="log")
    return _layout(figure, view, t("figures.compare.loss_title", lang), x_title, t("figures.axis.loss", lang), height=380)


def gradient_bars_figure(names: Sequence[str], norms: Sequence[float], title: str, y_range: tuple[float, float], *,
                         view: Viewer) -> go.Figure:
    """One run's per-layer gradient sizes on a log scale fixed by `y_range` (log10 bounds),
    so runs side by side share a scale."""
    figure = gradient_figure(names, norms, view=view)
    figure.update_yaxes(range=list(y_range))
    figure.update_layout(title=title, height=300)
    return figure


def race_figure(grid: tuple[np.ndarray, np.ndarray, np.ndarray], trajectories: dict, shown_steps: int,
                minima: Sequence[tuple[float, float]], names: dict[str, str], log_contours: bool, *,
                view: Viewer) -> go.Figure:
    """The surface's contours with each optimizer's path up to `shown_steps`; an invisible
    grid of points on top catches clicks (a click picks a new start)."""
    lang = view.lang
    xs, ys, z = grid
    figure = go.Figure(go.Contour(x=xs, y=ys, z=z, ncontours=30, colorscale="Greys", reversescale=True, showscale=False,
                                  line=dict(width=0.5), opacity=0.55, hoverinfo="skip"))
    step_x, step_y = max(1, len(xs) // 25), max(1, len(ys) // 25)
    click_x, click_y = np.meshgrid(xs[::step_x], ys[::step_y])
    figure.add_trace(go.Scatter(x=click_x.ravel(), y=click_y.ravel(), mode="markers", marker=dict(size=10, opacity=0),
                                hovertemplate=t("figures.race.click_hover", lang), showlegend=False,
                                name=t("figures.race.click_here", lang)))
    for name, trajectory in trajectories.items():
        points = trajectory.points[: shown_steps + 1]
        colour = palette.OPTIMIZERS.get(name, palette.OTHER)
        figure.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="lines", name=names.get(name, name),
                                    line=dict(color=colour, width=3)))
        figure.add_trace(go.Scatter(x=points[-1:, 0], y=points[-1:, 1], mode="markers", showlegend=False,
                                    marker=dict(color=colour, size=11, line=dict(color="white", width=1.5)),
                                    hovertemplate=f"{names.get(name, name)}: (%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    if trajectories:
        start = next(iter(trajectories.values())).points[0]
        figure.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", name=t("figures.race.start", lang),
                                    marker=dict(symbol="circle-open", size=16, color=palette.THEME_TEXT, line=dict(width=3))))
    figure.add_trace(go.Scatter(x=[m[0] for m in minima], y=[m[1] for m in minima], mode="markers",
                                name=t("figures.race.minimum", lang),
                                marker=dict(symbol="star", size=16, color=palette.THEME_TEXT)))
    figure.update_xaxes(range=[xs[0], xs[-1]])
    figure.update_yaxes(range=[ys[0], ys[-1]])
    title = t("figures.race.paths_title_log", lang) if log_contours else t("figures.race.paths_title", lang)
    figure = _layout(figure, view, title, "x", "y", height=560)
    figure.update_layout(clickmode="event+select", dragmode=False)
    return figure


def race_loss_figure(trajectories: dict, shown_steps: int, names: dict[str, str], *, view: Viewer) -> go.Figure:
    """Each optimizer's loss against the step (log scale), up to `shown_steps`."""
    lang = view.lang
    figure = go.Figure()
    for name, trajectory in trajectories.items():
        losses = trajectory.losses[: shown_steps + 1]
        figure.add_trace(go.Scatter(x=np.arange(len(losses)), y=np.maximum(losses, 1e-12), name=names.get(name, name),
                                    line=dict(color=palette.OPTIMIZERS.get(name, palette.OTHER), width=3)))
    figure.update_yaxes(type="log")
    return _layout(figure, view, t("figures.race.loss_title", lang), t("figures.axis.race_step", lang),
                   t("figures.axis.log_loss", lang), height=560)


def _metric_name(metric: str, lang: str) -> str:
    return {"train_loss": t("figures.metric.train_loss", lang), "test_loss": t("figures.metric.test_loss", lang),
            "train_acc": t("figures.metric.train_acc", lang), "test_acc": t("figures.metric.test_acc", lang)}[metric]


def seeds_band_figure(labels: Sequence[str], histories: Sequence, metric: str = "test_acc",
                      epochs: Sequence[Sequence[float]] | None = None, *, view: Viewer) -> go.Figure:
    """Each run's mean over its seeds, with a band from the worst seed to the best: "it
    worked once" becomes "it works" (or does not). Against the step, or the epochs given."""
    lang = view.lang
    figure = go.Figure()
    xs, x_title = _x_values(histories, epochs, lang)
    for label, history, x, colour in zip(labels, histories, xs, palette.RUNS):
        values = np.stack(getattr(history, metric))  # (snapshots, seeds)
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        figure.add_trace(go.Scatter(x=x, y=np.nanmax(values, axis=1), line=dict(width=0), showlegend=False,
                                    hoverinfo="skip"))
        figure.add_trace(go.Scatter(x=x, y=np.nanmin(values, axis=1), line=dict(width=0), fill="tonexty",
                                    fillcolor=f"rgba({red},{green},{blue},0.2)", showlegend=False, hoverinfo="skip"))
        figure.add_trace(go.Scatter(x=x, y=np.nanmean(values, axis=1), line=dict(color=colour, width=3),
                                    name=t("figures.compare.seeds_mean", lang, run=label, n=values.shape[1])))
    if metric.endswith("acc"):
        figure.update_yaxes(tickformat=".0%")
    return _layout(figure, view, t("figures.compare.seeds_title", lang), x_title, _metric_name(metric, lang), height=380)
