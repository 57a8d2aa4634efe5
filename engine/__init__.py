"""The playground's engine: PyTorch and NumPy only, no UI. Three layers, each importing
only the ones before it (see ARCHITECTURE.md):

- `engine.core`: the run's config, datasets, networks, heads, optimizers, the trainer, the
  one training loop (`engine.core.loop.train`), probes and metrics;
- `engine.experiments`: what is built on the core: many seeds at once, runs compared in
  lock-step, the optimizer race, backprop by hand;
- `engine.course`: the lessons, each page's settings as a link, the MNIST presets.

`engine.cli` (`python -m engine ...`) sits on top of all three. The names below are the
ones a notebook needs first.
"""

from engine.core.config import ConfigError, RunConfig
from engine.core.loop import Budget, Snapshots, train
from engine.core.trainer import Trainer

__all__ = ["Budget", "ConfigError", "RunConfig", "Snapshots", "Trainer", "train"]
