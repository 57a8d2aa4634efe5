"""The live view's own maths in a real Chromium: the browser computes the network's answer over
the plane and each hidden neuron's thumbnail from the weights a message carries, and must agree
with the engine (decision_grid, hidden_grids) for every activation, output head and input
feature; and a message's snapshots play back in order, once each, spread as the server took them.

No Streamlit here: one blank page loads playground/static/live_view.js as an ES module, and
each test hands it messages built in Python by live_frame / live_message.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import time
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from playwright.sync_api import Page

from engine import RunConfig, Trainer
from engine.core.datasets import FEATURES
from engine.core.loop import Snapshots, train
from engine.core.models import ACTIVATIONS
from engine.core.probes import decision_grid, hidden_grids
from playground.components.live_frame import (
    MAX_NEURONS_SHOWN,
    THUMBNAIL_RESOLUTION,
    Sent,
    live_frame,
    live_message,
    snapshot,
)
from tests.browser.live_harness import open_harness

# Every painted step, with when it was painted (this clock, s) and its snapshot's server time.
RECORD_PAINTS = """() => {
  window.painted = [];
  Object.defineProperty(window, "__playgroundStep", {
    configurable: true,
    get() { return window.painted.length ? window.painted[window.painted.length - 1].step : undefined; },
    set(step) { window.painted.push({ step, at: Date.now() / 1000 }); },
  });
}"""
TOLERANCE = 1e-4  # the browser's answer against torch's, both float32
HEADS = {"binary": "circle", "multiclass": "three_blobs", "regression": "plane"}


@pytest.fixture(scope="module")
def errors() -> list[str]:
    """Uncaught errors and console errors in the page."""
    return []


@pytest.fixture(scope="module")
def page(open_module_tab, errors) -> Iterator[Page]:
    """One blank page with live_view.js loaded, shared by the module's tests."""
    page = open_module_tab(width=1300, height=1400)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    open_harness(page, ["surface", "thumbnails", "planeLevels", "erf"])
    yield page
    page.close()


def trained(steps: int = 50, **settings) -> Trainer:
    """A trainer of `settings` after `steps` steps (recorded at the end only: the test's time is in the browser)."""
    trainer = Trainer(RunConfig(**settings))
    train(trainer, steps, snapshots=Snapshots(every=None))
    return trainer


def b64(payload: bytes) -> str:
    return base64.b64encode(payload).decode()


def browser_surface(page: Page, payload: bytes, index: int = 0) -> np.ndarray:
    return np.array(page.evaluate("([p, i]) => Array.from(live.surface(live.bytes(p), i))", [b64(payload), index]))


def engine_surface(trainer: Trainer) -> np.ndarray:
    return decision_grid(trainer.network, trainer.data.bounds, 100).probability.ravel()


def test_erf_is_accurate_to_a_ten_millionth(page):
    xs = np.linspace(-7, 7, 5_001)
    browser = np.array(page.evaluate("xs => xs.map(live.erf)", xs.tolist()))
    assert np.abs(browser - [math.erf(x) for x in xs]).max() < 1e-7


@pytest.mark.parametrize("task", HEADS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_browser_answer_matches_the_engines_decision_grid(page, errors, activation, task):
    trainer = trained(dataset=HEADS[task], hidden_sizes=(8, 5), activation=activation)
    browser = browser_surface(page, live_frame(trainer).to_bytes())
    engine = engine_surface(trainer)
    assert browser.shape == engine.shape == (100 * 100 * (3 if task == "multiclass" else 1),)
    assert np.abs(browser - engine).max() <= TOLERANCE
    assert engine.std() > 1e-3  # a trained answer varies over the plane: the check means something
    assert not errors


@pytest.mark.parametrize("task", HEADS)
def test_every_input_feature_and_no_hidden_layer_match_the_engine(page, task):
    for hidden_sizes in [(6,), ()]:
        trainer = trained(dataset=HEADS[task], features=tuple(FEATURES), hidden_sizes=hidden_sizes, activation="relu")
        assert np.abs(browser_surface(page, live_frame(trainer).to_bytes()) - engine_surface(trainer)).max() <= TOLERANCE


def test_each_snapshot_of_a_message_gets_its_own_answer(page):
    trainer = trained(dataset="xor", hidden_sizes=(4,), steps=10)
    snapshots, expected = [], []
    for _ in range(3):
        train(trainer, 40)
        snapshots.append(snapshot(trainer))
        expected.append(engine_surface(trainer))
    payload = live_message(trainer, snapshots, Sent(), run=0, playing=True, interval=1.0).to_bytes()
    for index, answer in enumerate(expected):
        assert np.abs(browser_surface(page, payload, index) - answer).max() <= TOLERANCE
    assert np.abs(expected[0] - expected[-1]).max() > 0.01  # the snapshots differ


def test_plane_levels_are_the_8_bit_levels_the_server_used_to_send(page):
    trainer = trained(dataset="three_blobs", hidden_sizes=(8,), steps=100)
    levels = page.evaluate("p => { const l = live.planeLevels(live.bytes(p)); return [[...l.cls], [...l.margin]]; }",
                           b64(live_frame(trainer).to_bytes()))
    probabilities = engine_surface(trainer).reshape(-1, 3)
    ranked = np.sort(probabilities, axis=1)
    assert np.array_equal(levels[0], probabilities.argmax(axis=1))
    assert np.abs(np.array(levels[1]) - np.round((ranked[:, -1] - ranked[:, -2]) * 255)).max() <= 1


def expected_thumbnails(trainer: Trainer) -> np.ndarray:
    """Each shown hidden neuron's activation over the thumbnail grid, min-max scaled, as levels."""
    tiles = []
    for grid in hidden_grids(trainer.network, trainer.data.bounds, THUMBNAIL_RESOLUTION):
        for neuron in range(min(grid.shape[-1], MAX_NEURONS_SHOWN)):
            values = grid[:, :, neuron]
            span = values.max() - values.min()
            tiles.append((values - values.min()) / span if span > 1e-6 else np.full_like(values, 0.5))
    return np.round(np.stack(tiles).ravel() * 255)


@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu"])
def test_thumbnails_match_the_engines_hidden_neurons(page, activation):
    trainer = trained(dataset="circle", hidden_sizes=(16, 4), activation=activation)
    with torch.no_grad():  # a neuron that answers the same everywhere: its thumbnail is flat grey
        trainer.model.linears[1].weight[2] = 0
    thumbs = page.evaluate("p => Array.from(live.thumbnails(live.bytes(p)))", b64(live_frame(trainer).to_bytes()))
    expected = expected_thumbnails(trainer)
    assert len(thumbs) == len(expected) == (MAX_NEURONS_SHOWN + 4) * THUMBNAIL_RESOLUTION**2
    assert np.abs(np.array(thumbs) - expected).max() <= 1
    flat = np.array(thumbs).reshape(-1, THUMBNAIL_RESOLUTION**2)[MAX_NEURONS_SHOWN + 2]
    assert set(flat) == {128}


def test_too_many_neurons_for_thumbnails_give_none(page):
    trainer = trained(dataset="circle", hidden_sizes=(12,) * 6, steps=10)
    assert page.evaluate("p => live.thumbnails(live.bytes(p)).length", b64(live_frame(trainer).to_bytes())) == 0


def render(page: Page, payload: bytes) -> None:
    page.evaluate("p => live.render({ data: live.bytes(p), parentElement: live.root })", b64(payload))


def test_a_message_plays_its_snapshots_in_order_once_each_spread_as_taken(page, errors):
    trainer = trained(dataset="xor", hidden_sizes=(4, 4), steps=10)
    sent, interval = Sent(), 1.0
    page.evaluate(RECORD_PAINTS)
    paused = dataclasses.replace(snapshot(trainer), time=time.time() - 2)
    render(page, live_message(trainer, [paused], sent, run=7, playing=False, interval=interval).to_bytes())
    assert [p["step"] for p in page.evaluate("painted")] == [10]  # paused: painted at once

    snapshots = []
    for _ in range(5):
        train(trainer, 10)
        snapshots.append(snapshot(trainer))
    now = time.time()  # as if taken over the last message interval, 0.2 s apart, and sent now
    snapshots = [dataclasses.replace(s, time=now - 0.8 + 0.2 * i) for i, s in enumerate(snapshots)]
    playing = live_message(trainer, snapshots, sent, run=7, playing=True, interval=interval, now=now).to_bytes()
    render(page, playing)
    page.wait_for_function("painted.length === 6", timeout=30_000)  # a bound, not a speed target
    time.sleep(0.3)
    render(page, playing)  # Streamlit may hand the same message again: nothing new to paint
    time.sleep(0.2)
    painted = page.evaluate("painted")
    assert [p["step"] for p in painted] == [10, 20, 30, 40, 50, 60]
    lags = [p["at"] - s.time for p, s in zip(painted[1:], snapshots)]
    assert max(lags) - min(lags) < 0.2  # spread as the server took them (all at once would span 0.8 s)
    assert 0 < min(lags) and max(lags) < 1.5  # one steady delay behind
    assert page.evaluate("window.__playgroundShownT") == snapshots[-1].time
    status = page.evaluate("[...live.root.querySelectorAll('.status .v')].map((v) => v.textContent)")
    assert status[0] == "60"

    stale = live_message(trainer, snapshots[:2], sent, run=7, playing=True, interval=interval).to_bytes()
    render(page, stale)  # older than what is shown: never painted after it
    time.sleep(0.3)
    train(trainer, 5)
    render(page, live_message(trainer, [snapshot(trainer)], sent, run=7, playing=False, interval=interval).to_bytes())
    assert [p["step"] for p in page.evaluate("painted")][6:] == [65]  # Pause: the newest at once
    assert not errors


def test_a_large_network_paints_from_the_servers_levels(page, errors):
    trainer = trained(dataset="circle", hidden_sizes=(64,) * 10, steps=20)
    frame = live_frame(trainer)
    assert frame.header["network"]["mode"] == "levels"
    page.evaluate(RECORD_PAINTS)
    render(page, frame.to_bytes())
    assert page.evaluate("[window.__playgroundStep, window.__playgroundTask]") == [20, "binary"]
    inked = page.evaluate("""() => {
      const canvas = live.root.querySelector("canvas.boundary");
      const p = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let inked = 0;
      for (let i = 3; i < p.length; i += 4) if (p[i] > 0) inked++;
      return inked / (p.length / 4);
    }""")
    assert inked > 0.5
    assert not errors
