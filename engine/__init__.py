"""The playground's engine: datasets, networks, optimizers, the trainer and probes.

PyTorch and NumPy only; no UI. See `engine.trainer` for the loop and `engine.config`
for the one object that describes a run.
"""

from engine.config import ConfigError, RunConfig
from engine.datasets import DATASETS, Dataset, make_dataset
from engine.models import ACTIVATIONS, INITS, MLP, build_mlp
from engine.optimizers import OPTIMIZERS, make_optimizer
from engine.trainer import History, Metrics, Trainer

__all__ = [
    "ACTIVATIONS", "DATASETS", "INITS", "OPTIMIZERS", "ConfigError", "Dataset", "History", "MLP",
    "Metrics", "RunConfig", "Trainer", "build_mlp", "make_dataset", "make_optimizer",
]
