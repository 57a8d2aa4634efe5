"""Ready-made MNIST runs, from the single layer to a VGG-style CNN (the course's path).

Each preset is a `RunConfig` plus how many epochs it is meant to train; `bench/mnist.py`
measures how fast each reaches 97/98/99% test accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.config import RunConfig


@dataclass(frozen=True)
class Preset:
    title: str
    config: RunConfig
    epochs: int
    summary: str


_MNIST = RunConfig(dataset="mnist", train_size=60_000, activation="relu", optimizer="adam", learning_rate=1e-3,
                   batch_size=64)

MNIST_PRESETS: dict[str, Preset] = {
    "softmax": Preset(
        "Single layer (softmax)", _MNIST.replace(model="softmax", learning_rate=1e-3), 3,
        "784 pixels -> 10 scores: one weighted sum per digit. About 92%."),
    "mlp": Preset(
        "Multi-layer perceptron", _MNIST.replace(model="mlp", hidden_sizes=(256, 128), dropout=0.2, learning_rate=1e-3), 5,
        "Two hidden ReLU layers learn combinations of pixels. About 97.5%."),
    "cnn_quick": Preset(
        "Small CNN (quick)", _MNIST.replace(model="cnn", conv_channels=(8, 16), kernel_size=5, hidden_sizes=(64,),
                                            learning_rate=2e-3, batch_size=32), 1,
        "Two conv + max-pool blocks, then one hidden layer: 98% in one epoch."),
    "cnn": Preset(
        "VGG-style CNN", _MNIST.replace(model="cnn", conv_channels=(16, 32), convs_per_block=2, kernel_size=3,
                                        hidden_sizes=(128,), dropout=0.3), 4,
        "Blocks of conv, conv, pool with more filters as the picture shrinks: 99%."),
}
