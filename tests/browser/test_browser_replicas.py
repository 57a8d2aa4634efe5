"""A class served by two replicas behind nginx (`nn-playground serve-class`), in real Chromium.

Two browsers (two contexts: two sets of cookies, as two laptops) play the 2D page and land on
different replicas; the MNIST lab's images (media files, which live in one replica's memory) load
through nginx; when one replica dies, the other's student plays on, and the dead one's student is
reconnected to the live replica, gets the settings back from the URL, and is told that the training
progress was lost (a page opened afresh is not)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, Response, expect

from playground.serve_class import COOKIE, ClassServer
from tests.serve import free_port

WAIT = 90_000  # ms; a bound on a busy machine, not a speed target
RECONNECTED = "The connection to the server was lost"
MNIST_LINK = "/mnist?lang=en&model=cnn&conv_channels=4&hidden_sizes=16&train_size=1000&epochs=1"


@pytest.fixture(scope="module")
def class_server() -> Iterator[tuple[ClassServer, list[str]]]:
    """Two replicas and nginx on 127.0.0.1, for this module (no restarts: a killed replica stays dead);
    and the lines they printed, for a failing test to show."""
    said: list[str] = []
    with ClassServer(2, free_port(), "127.0.0.1", restart=False, say=said.append) as server:
        yield server, said


def url(server: ClassServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


def replica_of(page: Page) -> int:
    """The replica nginx keeps this browser on (its cookie, which every answer sets to the replica that gave it)."""
    values = [cookie["value"] for cookie in page.context.cookies() if cookie["name"] == COOKIE]
    assert len(values) == 1, page.context.cookies()
    return int(values[0])


def open_2d(server: ClassServer, open_tab, query: str) -> Page:
    page = open_tab(url(server, f"/playground?{query}"))
    page.wait_for_function("window.__playgroundStep === 0", timeout=WAIT)
    return page


def step(page: Page) -> int:
    return page.evaluate("window.__playgroundStep")


def no_exception_box(page: Page) -> bool:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()
    return True


def test_the_mnist_labs_images_load_through_nginx(class_server, open_tab):
    server, said = class_server
    answers: list[Response] = []
    page = open_tab(url(server, MNIST_LINK), 1400, 1100)
    page.on("response", lambda answer: answers.append(answer))
    page.get_by_role("button", name="Train 1 epoch").click(timeout=WAIT)
    expect(page.get_by_text("Confusion matrix (10,000 test images)")).to_be_visible(timeout=180_000)
    page.get_by_role("tab", name="Look inside").click()
    expect(page.get_by_text("First-layer filters")).to_be_visible(timeout=WAIT)
    # The mistakes, the test digit, the filters and the feature maps: each a media file, each drawn.
    page.wait_for_function("""() => {
        const images = [...document.querySelectorAll('img[src*="/media/"]')];
        return images.length >= 10 && images.every((img) => img.complete && img.naturalWidth > 0);
    }""", timeout=WAIT)
    fetched = [(answer.url, answer.status) for answer in answers if "/media/" in answer.url]
    assert fetched and all(status == 200 for _, status in fetched), (fetched, said[-20:])
    assert no_exception_box(page)


def test_two_browsers_play_on_two_replicas_and_a_dead_ones_student_comes_back_to_the_live_one(class_server,
                                                                                               open_tab):
    server, said = class_server
    first = open_2d(server, open_tab, "dataset=circle&hidden_sizes=5&activation=relu&lang=en")
    second = open_2d(server, open_tab, "dataset=xor&hidden_sizes=4,4&activation=tanh&lang=en")
    for page in (first, second):
        page.get_by_role("button", name="Play").click()
    for page in (first, second):
        page.wait_for_function("window.__playgroundStep > 20", timeout=WAIT)
    assert {replica_of(first), replica_of(second)} == {1, 2}  # first visits go to the replicas in turn
    expect(first.get_by_text(RECONNECTED)).to_have_count(0)

    dead = server.members[replica_of(first) - 1]
    os.kill(dead.process.pid, signal.SIGKILL)
    dead.process.wait(30)

    # The other replica's student plays on.
    before = step(second)
    second.wait_for_function(f"window.__playgroundStep > {before + 50}", timeout=WAIT)
    # The dead replica's student is back, on the live replica, with the link's settings and no progress...
    expect(first.get_by_text(RECONNECTED)).to_be_visible(timeout=WAIT)
    assert replica_of(first) == replica_of(second)
    first.wait_for_function("window.__playgroundStep === 0", timeout=WAIT)
    query = {name: values[-1] for name, values in parse_qs(urlparse(first.url).query).items()}
    assert query["dataset"] == "circle" and query["hidden_sizes"] == "5" and query["activation"] == "relu"
    expect(first.get_by_role("combobox", name="Dataset")).to_have_value("Circle")  # the dataset box shows it again
    # ... and trains again there; the notice goes when dismissed.
    first.get_by_role("button", name="Play").click()
    first.wait_for_function("window.__playgroundStep > 20", timeout=WAIT)
    first.get_by_role("button", name="OK").click()
    expect(first.get_by_text(RECONNECTED)).to_have_count(0, timeout=WAIT)
    assert no_exception_box(first) and no_exception_box(second)

    # Opening a page afresh (here: reloading it) is not a reconnection: nothing is said.
    second.reload()
    second.wait_for_function("window.__playgroundStep === 0", timeout=WAIT)
    expect(second.get_by_role("heading", name="2D playground")).to_be_visible()
    expect(second.get_by_text(RECONNECTED)).to_have_count(0)
