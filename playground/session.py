"""One student's run on the 2D page: the trainer, whether it is playing, and what changed.

Plain Python (no Streamlit) so it can be tested directly; the page keeps one of these
in each browser session's state, so sessions never share a run.
"""

from __future__ import annotations

from engine.config import FIELDS, RunConfig
from engine.trainer import Trainer
from playground.i18n import t
from playground.labels import FIELDS as FIELD_LABELS

# A live page ticks every FRAME_SECONDS and trains for at most TRAIN_BUDGET_SECONDS of each
# tick: training is tied to time, so its speed does not fall with the frame rate.
FRAME_SECONDS = 0.05
TRAIN_BUDGET_SECONDS = 0.03
# Steps per frame the speed control offers; None trains for the whole budget.
SPEEDS: dict[str, int | None] = {"1 step": 1, "10 steps": 10, "100 steps": 100, "max": None}


class RunSession:
    def __init__(self, config: RunConfig) -> None:
        self.playing = False
        self.notice = ""
        self._start(config)

    def _start(self, config: RunConfig) -> None:
        self.trainer = Trainer(config)
        self._snapshot()

    def _snapshot(self) -> None:
        """Record the current step if it is not yet recorded: the page always shows a
        snapshot of the step it is at (step 0 included)."""
        if self.trainer.history.steps[-1:] != [self.trainer.step]:
            self.trainer.record()

    @property
    def config(self) -> RunConfig:
        return self.trainer.config

    def update(self, config: RunConfig) -> None:
        """Take the page's settings: live ones apply to the running network, any other
        change starts a new run (and `notice` says which settings caused it)."""
        if config == self.config:
            return
        changed = [FIELD_LABELS[name] for name in FIELDS if getattr(config, name) != getattr(self.config, name)]
        # A diverged network cannot recover, so even a live setting starts it again.
        if not self.trainer.diverged and self.trainer.apply_live(config):
            self.notice = t("two_d.applied_live", changed=", ".join(changed))
        else:
            self._start(config)
            self.notice = t("two_d.restarted", changed=", ".join(changed))

    def tick(self, speed: str) -> int:
        """Train for one frame at the given speed; returns the steps taken."""
        steps = SPEEDS[speed]
        self.trainer.record_every = min(10, steps or 10)
        done = self.trainer.train_for(TRAIN_BUDGET_SECONDS, max_steps=steps or 1_000_000)
        self._snapshot()
        return done

    def step(self, steps: int = 1) -> None:
        self.playing = False
        self.trainer.record_every = 10
        self.trainer.train(steps)
        self._snapshot()

    def reset(self) -> None:
        self.playing = False
        self.notice = ""
        self.trainer.reset()
        self._snapshot()
