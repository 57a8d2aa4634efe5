import pytest

from engine import RunConfig
from playground import classroom, scheduler, sessions
from playground.scheduler import Queue
from playground.sessions import MnistSession, RunSession


@pytest.fixture(autouse=True)
def trained_by_the_ticks(monkeypatch):
    """These tests train the 2D run in its page's ticks (tests/app/test_classroom.py: the shared trainer)."""
    monkeypatch.setattr(classroom, "SHARED", False)


def _finish(session: RunSession) -> None:
    """Tick until the job a button asked for is trained (the page's ticks do this)."""
    for _ in range(10_000):
        if session.job is None:
            return
        session.tick("max")
    raise AssertionError("the job never finished")


def test_new_session_shows_step_zero_with_a_snapshot():
    session = RunSession(RunConfig())
    assert session.trainer.step == 0 and session.trainer.history.steps == [0]


def test_live_settings_keep_the_run_and_say_so():
    session = RunSession(RunConfig())
    session.step(20)
    _finish(session)
    session.update(session.config.replace(learning_rate=0.1, batch_size=20))
    assert session.trainer.step == 20
    assert "Learning rate" in session.notice and "Batch size" in session.notice and "applied live" in session.notice


def test_other_settings_restart_the_run_and_say_which():
    session = RunSession(RunConfig())
    session.step(20)
    session.update(session.config.replace(dataset="moons", activation="relu"))
    assert session.trainer.step == 0 and session.trainer.config.dataset == "moons"
    assert "Dataset" in session.notice and "Activation" in session.notice and "restarted" in session.notice


def test_tick_trains_the_chosen_steps_per_frame_and_records_the_frame(monkeypatch):
    # A generous time budget, so a busy machine cannot cut the frame short.
    monkeypatch.setattr("playground.sessions.TRAIN_BUDGET_SECONDS", 5.0)
    session = RunSession(RunConfig())
    assert session.tick("10 steps") == 0  # paused: a tick trains nothing
    session.playing = True
    assert session.tick("10 steps") == 10
    assert session.tick("1 step") == 1
    assert session.trainer.history.steps[-1] == 11
    monkeypatch.setattr("playground.sessions.TRAIN_BUDGET_SECONDS", 0.03)
    assert session.tick("max") > 0


def test_step_and_reset_pause_the_run():
    session = RunSession(RunConfig())
    session.playing = True
    session.step(3)
    assert not session.playing and session.job is not None
    _finish(session)
    assert session.trainer.step == 3
    session.playing = True
    session.reset()
    assert not session.playing and session.trainer.step == 0 and session.trainer.history.steps == [0]


def test_lowering_the_learning_rate_after_divergence_starts_a_fresh_run():
    session = RunSession(RunConfig(hidden_sizes=(8, 8, 8), activation="linear", optimizer="sgd", learning_rate=50.0))
    session.step(100)
    _finish(session)
    assert session.trainer.diverged
    session.update(session.config.replace(learning_rate=0.01))
    assert not session.trainer.diverged and session.trainer.step == 0 and "restarted" in session.notice
    session.step(50)
    _finish(session)
    assert not session.trainer.diverged and session.trainer.step == 50


def test_an_epoch_button_trains_in_slices_across_ticks_and_pause_stops_it(monkeypatch):
    # A budget so small that each tick trains one step (the first step of a tick always runs).
    monkeypatch.setattr(sessions, "TRAIN_BUDGET_SECONDS", 0.0)
    session = RunSession(RunConfig(batch_size=1))
    session.step(session.trainer.steps_per_epoch)  # "+1 epoch": 100 steps
    assert session.trainer.step == 0 and session.busy  # the click itself trains nothing
    for tick in range(1, 31):
        assert session.tick("max") == 1 and session.job.done == tick
    session.pause()
    assert not session.busy and session.tick("max") == 0 and session.trainer.step == 30
    session.step(session.trainer.steps_per_epoch)
    _finish(session)
    assert session.trainer.step == 130 and session.trainer.history.steps[-1] == 130  # not cut short


def test_mnist_session_trains_to_the_target_with_a_snapshot_per_epoch():
    session = MnistSession(RunConfig(dataset="mnist", model="softmax", train_size=500, batch_size=100), queue=Queue())
    session.start(epochs=2)
    for _ in range(100):
        if not session.busy:
            break
        session.tick(seconds=0.05)
    trainer = session.trainer
    assert trainer.epoch == 2 and trainer.history.steps == [5, 10]
    assert session.images_per_second > 0 and session.test_probabilities().shape == (10_000, 10)


def test_the_test_set_is_measured_in_slices_after_each_epoch():
    session = MnistSession(RunConfig(dataset="mnist", model="softmax", train_size=200, batch_size=100), queue=Queue())
    session.trainer.eval_batch = 1_000  # ten parts of the 10,000 test images, one of the training images
    session.start(epochs=1)
    session.tick(seconds=0.0)  # one step, then the budget is spent
    session.tick(seconds=0.0)  # the epoch's last step: the measuring starts
    measured = []
    while session.evaluating:
        session.tick(seconds=0.0)  # one part of the test set per tick
        measured.append(session.evaluated)
    # Ten parts of the test set, then the 200 training images' own.
    assert measured[:3] == pytest.approx([1_000 / 10_200, 2_000 / 10_200, 3_000 / 10_200]) and len(measured) == 11
    assert session.trainer.history.steps == [2] and not session.busy


def test_two_sessions_share_one_mnist_queue_and_a_stopped_or_closed_one_lets_the_next_run():
    queue = Queue()
    config = RunConfig(dataset="mnist", model="softmax", train_size=200, batch_size=100)
    first, second = MnistSession(config, queue=queue), MnistSession(config, queue=queue)
    first.start(epochs=5)
    second.start(epochs=1)
    assert queue.place(first) == (0, 0.0)
    ahead, wait = queue.place(second)
    assert ahead == 1 and wait > 0  # the first's expected time
    second.tick(seconds=0.0)
    assert second.trainer.step == 0  # waiting: not its turn
    first.tick(seconds=0.0)
    assert first.trainer.step == 1
    first.stop()  # its snapshot is measured before the queue moves on
    while first.busy:
        first.tick(seconds=0.0)
    assert queue.place(first) == (-1, 0.0) and queue.place(second)[0] == 0
    second.tick(seconds=0.0)
    assert second.trainer.step == 1
    second.close()
    assert len(queue) == 0


def test_a_queued_session_that_stops_ticking_loses_its_turn():
    now = [0.0]
    queue = Queue(lease_seconds=10, clock=lambda: now[0])
    class Job:  # anything a weak reference can point to
        pass

    gone, waiting = Job(), Job()
    queue.join(gone, 60)
    queue.join(waiting, 5)
    assert queue.place(waiting) == (1, 60)
    now[0] = 8.0
    assert not queue.turn(waiting)
    now[0] = 12.0  # the first has not ticked for 12 s: its tab is closed
    assert queue.turn(waiting) and len(queue) == 1
    del waiting  # a session Streamlit has dropped leaves the queue at once
    assert len(queue) == 0


def test_a_playing_session_keeps_flat_memory(monkeypatch):
    """Tick after tick, as the page does (train, then send a message): what the session keeps
    stops growing once its history is full (capacities made small so the test is quick)."""
    import gc
    import tracemalloc

    from engine.core import history

    monkeypatch.setattr(history, "SERIES_CAPACITY", 64)
    monkeypatch.setattr(history, "SNAPSHOT_CAPACITY", 16)
    session = RunSession(RunConfig(batch_size=1))
    session.playing = True

    def play(steps: int) -> None:
        while session.trainer.step < steps:
            session.tick("100 steps")
            session.message(interval=0.05, texts={}, scale=1.0, show_test=True, log_loss=False)

    play(1_000)  # past both capacities
    gc.collect()
    tracemalloc.start()
    try:
        play(2_500)
        gc.collect()
        grown, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert grown < 50_000, f"{grown:,} bytes kept by 1,500 more steps"
    assert len(session.trainer.history.steps) <= 32 and len(session.trainer.history.batch_loss) <= 64


def test_a_heavy_page_takes_the_whole_core_alone_and_a_small_share_beside_others(monkeypatch):
    from playground.scheduler import HEAVY_SHARE, Activity

    now = [0.0]
    activity = Activity(clock=lambda: now[0])

    class Run:
        pass

    heavy, student = Run(), Run()
    activity.tick(heavy)
    assert activity.share(heavy) == 1.0
    activity.tick(student)
    assert activity.others(heavy) == 1 and activity.share(heavy) == HEAVY_SHARE
    now[0] = 5.0  # the student paused a while ago
    activity.tick(heavy)
    assert activity.share(heavy) == 1.0
    activity.tick(student)
    del student  # a session Streamlit dropped is no longer active
    assert activity.share(heavy) == 1.0

    # An MNIST tick beside an active student trains for its smaller share only.
    monkeypatch.setattr(scheduler, "ACTIVITY", Activity())
    other = RunSession(RunConfig())
    other.playing = True
    other.tick("1 step")  # another student plays
    config = RunConfig(dataset="mnist", model="mlp", hidden_sizes=(256, 128), train_size=5_000, batch_size=10)
    session = MnistSession(config, queue=Queue())
    session.start(epochs=1)
    session.tick(seconds=10.0)  # asks for 10 s, gets HEAVY_SHARE of a tick (0.1 s): far from an epoch's 500 steps
    assert 0 < session.trainer.step < session.trainer.steps_per_epoch


def test_a_waiting_session_keeps_its_place_longer_than_the_running_one():
    now = [0.0]
    queue = Queue(lease_seconds=15, wait_lease_seconds=300, clock=lambda: now[0])

    class Job:
        pass

    running, hidden, other = Job(), Job(), Job()
    for job in (running, hidden, other):
        queue.join(job, 10)
    for second in range(10, 101, 10):  # the running tab ticks; the waiting ones are hidden (throttled) for 100 s
        now[0] = second
        assert queue.turn(running)
    assert queue.place(hidden) == (1, 10) and queue.place(other)[0] == 2
    queue.leave(running)
    assert queue.place(hidden)[0] == -1  # promoted, but silent for 100 s: not left in front of the others
    assert queue.turn(other) and not queue.turn(hidden)  # back, behind the others


def test_an_epoch_asked_for_is_dropped_when_a_live_batch_size_change_would_make_it_another_length():
    session = RunSession(RunConfig())
    session.step(session.trainer.steps_per_epoch)
    session.update(session.config.replace(batch_size=1))
    assert session.job is None and session.trainer.step == 0 and "applied live" in session.notice


def test_after_stop_mid_epoch_one_more_epoch_is_exactly_one_epoch():
    session = MnistSession(RunConfig(dataset="mnist", model="softmax", train_size=1_000, batch_size=100), queue=Queue())
    session.start(epochs=1)
    session.tick(seconds=0.0)  # 1 step
    session.stop()
    while session.busy:
        session.tick(seconds=0.0)
    session.start(epochs=1)
    assert session.target_step == 11 and session.target_epochs == 2
