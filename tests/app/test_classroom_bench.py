"""The classroom benchmark's students (bench/classroom.py), which speak Streamlit's websocket protocol
as the browser does, against a real app server: if they got the protocol wrong the benchmark would
measure nothing, so here two of them must see their networks train, and stop when they press Pause,
and one behind nginx (`--replicas`) must get its replica's cookie and its page through it."""

import asyncio
import json
import struct
import time
from concurrent.futures import ThreadPoolExecutor

from bench.classroom import PAUSE, PLAY, Student, class_links, read_live_message
from playground.serve_class import COOKIE, ClassServer, free_port
from tests.serve import running_app

WAIT_SECONDS = 60  # a bound on a busy machine's first runs, not a speed target


async def _play_then_pause(url: str) -> list[Student]:
    students = [Student(url, link) for link in class_links(2)]
    deadline = time.time() + WAIT_SECONDS
    for student in students:
        assert await student.open(deadline)
        assert await student.press(PLAY, deadline)
    while any(not s.tally.views or s.tally.views[-1].step < 100 for s in students) and time.time() < deadline:
        await asyncio.sleep(0.1)
    for student in students:
        assert await student.press(PAUSE, deadline)
        await student.wait_paused(10)
    await asyncio.sleep(1)  # nothing more should train
    await asyncio.gather(*(s.close() for s in students))
    return students


def test_simulated_students_see_their_networks_train_until_they_pause() -> None:
    with running_app() as (url, _), ThreadPoolExecutor(1) as apart:
        # In a thread of its own: this test worker may have an event loop running (Playwright's).
        students = apart.submit(asyncio.run, _play_then_pause(url)).result()
    for student in students:
        tally = student.tally
        assert tally.errors == []
        assert tally.first_step is not None, "the steps never rose after Play"
        assert tally.views[-1].step >= 100
        assert tally.action(PLAY.lower()).answered is not None  # the toolbar showed Pause
        assert tally.pause_stopped is not None, "Pause was never answered"
        after_pause = [v.step for v in tally.views if v.arrival > tally.pause_stopped]
        assert len(set(after_pause)) <= 1  # paused: the step stays where it stopped


async def _open_behind_nginx(url: str) -> Student:
    student = Student(url, class_links(1)[0], visit=True)
    deadline = time.time() + WAIT_SECONDS
    assert await student.open(deadline)
    while not student.tally.views and not student.tally.errors and time.time() < deadline:
        await asyncio.sleep(0.1)
    await student.close()
    return student


def test_a_student_behind_nginx_gets_its_replica_cookie_then_its_page() -> None:
    port = free_port()
    with (ClassServer(1, port, "127.0.0.1", restart=False, say=lambda line: None),
          ThreadPoolExecutor(1) as apart):
        student = apart.submit(asyncio.run, _open_behind_nginx(f"http://127.0.0.1:{port}")).result()
    assert student.tally.errors == []
    assert student.cookies.get(COOKIE) == "1" and student.tally.replica == "1"  # set by the page's GET
    assert student.tally.views, "no live-view message came through nginx"


def test_an_older_live_message_is_one_snapshot_of_unknown_time() -> None:
    header = json.dumps({"status": {"step": 42}}).encode()
    message = read_live_message(struct.pack("<I", len(header)) + header + b"\0" * 8)
    assert message.snapshots == [(42, None)]
    assert message.playing is None
