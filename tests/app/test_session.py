from engine import RunConfig
from playground.sessions import MnistSession, RunSession


def test_new_session_shows_step_zero_with_a_snapshot():
    session = RunSession(RunConfig())
    assert session.trainer.step == 0 and session.trainer.history.steps == [0]


def test_live_settings_keep_the_run_and_say_so():
    session = RunSession(RunConfig())
    session.step(20)
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
    assert session.tick("10 steps") == 10
    assert session.tick("1 step") == 1
    assert session.trainer.history.steps[-1] == 11
    monkeypatch.setattr("playground.sessions.TRAIN_BUDGET_SECONDS", 0.03)
    assert session.tick("max") > 0


def test_step_and_reset_pause_the_run():
    session = RunSession(RunConfig())
    session.playing = True
    session.step(3)
    assert not session.playing and session.trainer.step == 3
    session.playing = True
    session.reset()
    assert not session.playing and session.trainer.step == 0 and session.trainer.history.steps == [0]


def test_lowering_the_learning_rate_after_divergence_starts_a_fresh_run():
    session = RunSession(RunConfig(hidden_sizes=(8, 8, 8), activation="linear", optimizer="sgd", learning_rate=50.0))
    session.step(100)
    assert session.trainer.diverged
    session.update(session.config.replace(learning_rate=0.01))
    assert not session.trainer.diverged and session.trainer.step == 0 and "restarted" in session.notice
    session.step(50)
    assert not session.trainer.diverged


def test_mnist_session_trains_to_the_target_with_a_snapshot_per_epoch():
    session = MnistSession(RunConfig(dataset="mnist", model="softmax", train_size=500, batch_size=100))
    session.start(epochs=2)
    for _ in range(100):
        if not session.training:
            break
        session.tick(seconds=0.05)
    trainer = session.trainer
    assert trainer.epoch == 2 and trainer.history.steps == [5, 10]
    assert session.images_per_second > 0 and session.test_probabilities().shape == (10_000, 10)
