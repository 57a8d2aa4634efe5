"""The class's shared trainer (playground.classroom), round by round, without its thread."""

import numpy as np
import pytest
import torch

from engine import RunConfig
from engine.core.loop import Snapshots, train
from playground import classroom
from playground.classroom import Classroom, round_steps
from playground.sessions import RunSession


@pytest.fixture
def room(monkeypatch) -> Classroom:
    """A classroom whose rounds the test runs itself (no thread), as the process's one."""
    room = Classroom(threaded=False)
    monkeypatch.setattr(classroom, "CLASSROOM", room)
    monkeypatch.setattr(classroom, "SHARED", True)
    return room


def student(**settings) -> RunSession:
    return RunSession(RunConfig(hidden_sizes=(8, 8), **settings), shared=True)


def play(session: RunSession, speed: str = "max") -> None:
    session.play()
    session.tick(speed)  # what the page's rerun does: ask the classroom for training


def test_a_class_of_one_shape_trains_together_and_each_run_is_what_it_would_be_alone(room):
    class_ = [student(dataset="circle", seed=1), student(dataset="xor", seed=2, learning_rate=0.03),
              student(dataset="moons", seed=3)]
    for session in class_:
        play(session)
    for _ in range(5):
        assert room.train_round() == classroom.TRAINED
    steps = [session.trainer.step for session in class_]
    assert len(set(steps)) == 1 and steps[0] >= 5  # lock-step, every round
    for session in class_:
        alone = RunSession(session.config, shared=False).trainer
        train(alone, session.trainer.step, snapshots=Snapshots(every=None, at_end=False))
        for p, q in zip(session.trainer.model.parameters(), alone.model.parameters()):
            torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6)
        # curves every 10 steps (and where snapshots were taken for the browser)
        assert {0, 10, 20} <= set(session.trainer.history.steps)
        assert session.snapshots[-1].step == session.trainer.step or len(session.snapshots) > 1


def test_two_shapes_both_train_and_a_paused_run_does_not(room):
    small = [student(seed=s) for s in range(3)]
    other = [RunSession(RunConfig(hidden_sizes=(6, 6), activation="relu", seed=s), shared=True) for s in range(2)]
    paused = student(seed=9)
    for session in small + other:
        play(session)
    for _ in range(3):
        room.train_round()
    assert len({s.trainer.step for s in small}) == 1 and len({s.trainer.step for s in other}) == 1
    assert min(s.trainer.step for s in small + other) >= 3 and paused.trainer.step == 0


def test_groups_get_equal_steps_unless_one_costs_more_than_its_share():
    sizes = {"lesson": 20, "others": 10}
    assert round_steps({"lesson": 0.001, "others": 0.001}, sizes, seconds=0.03) == pytest.approx({"lesson": 15, "others": 15})
    # a student alone with a costly network: capped at half the round (one of two groups), the class goes on
    # a student alone with a costly network: capped at twice the student's share, the class goes on
    plan = round_steps({"lesson": 0.001, "big": 0.05}, {"lesson": 29, "big": 1}, seconds=0.03)
    assert plan == pytest.approx({"lesson": 28, "big": 0.04})
    three = round_steps({"a": 0.001, "b": 0.002, "big": 0.1}, {"a": 10, "b": 10, "big": 1}, seconds=0.03)
    capped = 0.03 * 2 / 21
    assert three["a"] == three["b"] == pytest.approx((0.03 - capped) / 0.003) and three["big"] == pytest.approx(capped / 0.1)


def test_a_speed_limits_the_steps_and_a_button_gets_exactly_its_steps(room, monkeypatch):
    slow, epoch = student(seed=1), student(seed=2)
    play(slow, "1 step")
    epoch.step(epoch.trainer.steps_per_epoch)
    epoch.tick("max")
    for _ in range(20):
        room.train_round()
    assert epoch.trainer.step == epoch.trainer.steps_per_epoch and epoch.job is None and not epoch.busy
    assert epoch.snapshots[-1].step == epoch.trainer.step  # its last step is shown
    assert slow.trainer.step <= 10  # "1 step" a frame: about 20 steps a second, however fast the rounds


def test_a_run_whose_page_stopped_asking_is_not_trained(room, monkeypatch):
    gone = student()
    play(gone)
    monkeypatch.setattr(classroom, "LEASE_SECONDS", 0.0)
    assert room.train_round() == classroom.IDLE
    assert gone.trainer.step == 0


def test_a_run_that_diverges_in_a_cohort_stops_and_the_others_go_on(room):
    wild = student(optimizer="sgd", activation="linear", learning_rate=50.0, seed=1)
    calm = student(optimizer="sgd", activation="linear", learning_rate=0.01, seed=2)
    for session in (wild, calm):
        play(session)
    for _ in range(30):
        room.train_round()
    assert wild.trainer.diverged and not calm.trainer.diverged
    assert calm.trainer.step > wild.trainer.step
    assert wild.snapshots[-1].diverged and np.isfinite(calm.snapshots[-1].metrics["train_loss"])


def test_messages_carry_every_snapshot_taken_since_the_last_one(room):
    session = student()
    play(session)
    first = session.message(interval=0.2, texts={}, scale=1.0, show_test=True, log_loss=False)
    for _ in range(5):
        room.train_round()
        session.capture()
    header = session.message(interval=0.2, texts={}, scale=1.0, show_test=True, log_loss=False).header
    steps = [s["step"] for s in header["snapshots"]]
    assert len(steps) >= 5 and steps == sorted(steps) and steps[0] > first.header["snapshots"][-1]["step"]
    again = session.message(interval=0.2, texts={}, scale=1.0, show_test=True, log_loss=False).header
    assert [s["step"] for s in again["snapshots"]] == steps[-1:]  # nothing new: the newest again


def test_rerun_interval_grows_with_the_class(room):
    assert room.rerun_interval() == classroom.RERUN_INTERVALS[0]
    class_ = [student(seed=s) for s in range(60)]
    for session in class_:
        play(session)
    room.rerun_spent(0.005)
    assert room.rerun_interval() > classroom.RERUN_INTERVALS[0]
    assert room.snapshot_rate(1_000) == classroom.SNAPSHOTS_CLASS
    assert room.snapshot_rate(4 * 40_000) < 1  # a huge network: fewer, by its bytes


def test_a_run_takes_the_same_steps_whoever_else_plays(room, monkeypatch):
    """Exactly reproducible from its link: alone or among a class (other data and seeds, a short
    last batch of their own, out of phase), a run's weights after 120 steps are the same, bit for bit."""
    link = dict(dataset="spirals", seed=5, n_points=300, batch_size=20)

    def trained(classmates: list[RunSession]) -> list[torch.Tensor]:
        monkeypatch.setattr(classroom, "CLASSROOM", Classroom(threaded=False))
        session = student(**link)
        session.step(120)
        for other in classmates:
            play(other)
        session.tick("max")
        while session.job is not None:
            classroom.CLASSROOM.train_round()
        return [p.detach().clone() for p in session.trainer.model.parameters()]

    alone = trained([])
    among = trained([student(dataset="spirals", seed=s, n_points=50) for s in range(3)] + [student(seed=9)])
    assert all(torch.equal(p, q) for p, q in zip(alone, among))


def test_runs_whose_last_batches_differ_in_size_still_train_together_and_exactly(room):
    """25 training points at batch 10: every third batch is 5 points. Such runs, out of phase with
    classmates whose batches are always 10, train as they would alone (no round fails)."""
    short = [student(n_points=50, seed=s) for s in range(2)]
    full = [student(seed=s) for s in range(2)]
    short[1].step()
    for session in short + full:
        play(session)
    for _ in range(10):
        assert room.train_round() == classroom.TRAINED
    for session in short + full:
        alone = RunSession(session.config, shared=False).trainer
        if session is short[1]:
            train(alone, 1, snapshots=Snapshots(every=None, at_end=False))
        train(alone, session.trainer.step - alone.step, snapshots=Snapshots(every=None, at_end=False))
        for p, q in zip(session.trainer.model.parameters(), alone.model.parameters()):
            torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6)


def test_pressing_play_at_a_slow_speed_starts_from_no_steps_owed(room):
    slow = student()
    slow.playing, slow._allowed_at = False, 0.0  # paused long ago
    play(slow, "1 step")
    room.train_round()
    assert slow.trainer.step <= 1


def test_a_failing_group_costs_only_its_own_round_and_its_steps_are_counted(room, monkeypatch):
    good, bad = student(seed=1), RunSession(RunConfig(hidden_sizes=(6,), seed=2), shared=True)
    bad.step(5)
    bad.tick("max")
    play(good)
    real = classroom.Cohort

    def failing(trainers):
        if bad.trainer in trainers:
            raise RuntimeError("a bug in one group")
        return real(trainers)

    monkeypatch.setattr(classroom, "Cohort", failing)
    room.train_round()
    assert good.trainer.step > 0 and bad.trainer.step == 0 and bad.job.done == 0


def test_a_run_stopped_early_in_a_cohort_sends_its_last_step_and_the_others_go_on(room):
    noisy = dict(dataset="circle", n_points=40, noise=0.5, hidden_sizes=(32, 32))
    stopping = RunSession(RunConfig(**noisy, early_stopping=20), shared=True)
    going = RunSession(RunConfig(**noisy, seed=1), shared=True)
    for session in (stopping, going):
        play(session)
    for _ in range(60):
        room.train_round()
        going.tick("max")
    trainer = stopping.trainer
    assert trainer.stopped_early and going.trainer.step > trainer.stopped_at == trainer.step
    assert stopping.steps_wanted() == 0
    header = stopping.message(interval=0.2, texts={}, scale=1.0, show_test=True, log_loss=False).header
    assert header["snapshots"][-1]["step"] == trainer.stopped_at  # the browser sees where it stopped
    assert header["stop"] == {"step": trainer.stopped_at, "best_step": trainer.best.step}
