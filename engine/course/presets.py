"""Ready-made MNIST runs, from the single layer to a CNN with batch norm (the course's path).

Each preset is a `RunConfig` plus how many epochs it is meant to train; `bench/mnist.py`
measures how fast each reaches 97/98/99% test accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.config import RunConfig


@dataclass(frozen=True)
class Preset:
    """A config and the epochs it is meant to train; its title and summary in words are the
    app's texts (playground/texts/<lang>/mnist.toml, `mnist.preset.<name>.title`, `.summary`)."""

    config: RunConfig
    epochs: int


_MNIST = RunConfig(dataset="mnist", train_size=60_000, activation="relu", optimizer="adam", learning_rate=1e-3,
                   batch_size=64)

# The course's path, single layer to CNN (about 92%, 97.5%, 98.7% in one epoch, 99.3% in two).
# The CNNs train with a one-cycle schedule over their epochs, whose peak rate is ten times Adam's
# usual 0.001 (batch norm keeps the deeper one stable there). Measured with bench/mnist.py on 2
# cores: `cnn` passes 99% after about 1.25 epochs and ends at 99.1-99.4% (seeds 0-2) in about
# 30 s of training; `cnn_quick` ends at 98.7% in about 8 s.
MNIST_PRESETS: dict[str, Preset] = {
    "softmax": Preset(_MNIST.replace(model="softmax", learning_rate=1e-3), epochs=3),
    "mlp": Preset(_MNIST.replace(model="mlp", hidden_sizes=(256, 128), dropout=0.2, learning_rate=1e-3), epochs=5),
    "cnn_quick": Preset(_MNIST.replace(model="cnn", conv_channels=(8, 16), kernel_size=5, hidden_sizes=(64,),
                                       learning_rate=1e-2, one_cycle=1), epochs=1),
    "cnn": Preset(_MNIST.replace(model="cnn", conv_channels=(16, 32, 64), kernel_size=3, hidden_sizes=(128,),
                                 batch_norm=True, learning_rate=1e-2, batch_size=128, one_cycle=2), epochs=2),
}
