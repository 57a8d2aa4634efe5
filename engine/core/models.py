"""Networks: activations, weight initialisations, the MLP and the CNN (the output heads
that turn their last layer into an answer are in engine.core.heads).

An `MLP` with no hidden layers is a single-layer perceptron (logistic regression, or
softmax regression for more classes): one weighted sum of the inputs, so its decision
boundary is a straight line. A `ConvNet` puts convolution blocks in front of an MLP.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

if TYPE_CHECKING:  # engine.core.config imports this module's registries
    from engine.core.config import RunConfig

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "linear": nn.Identity,
}

# Activations whose derivative is 1 (or close) on the positive side: He initialisation suits them.
RELU_FAMILY = frozenset({"relu", "leaky_relu", "elu", "gelu"})

# A weighted layer: nn.Linear or nn.Conv2d (both have .weight and .bias).
Weighted = nn.Linear | nn.Conv2d
Init = Callable[[Weighted, str, float, torch.Generator], None]


def _zero_bias(layer: Weighted) -> None:
    if layer.bias is not None:  # a convolution before batch norm has none
        nn.init.zeros_(layer.bias)


def _xavier(layer: Weighted, activation: str, std: float, generator: torch.Generator) -> None:
    nn.init.xavier_uniform_(layer.weight, generator=generator)
    _zero_bias(layer)


def _he(layer: Weighted, activation: str, std: float, generator: torch.Generator) -> None:
    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=generator)
    _zero_bias(layer)


def _auto(layer: Weighted, activation: str, std: float, generator: torch.Generator) -> None:
    (_he if activation in RELU_FAMILY else _xavier)(layer, activation, std, generator)


def _pytorch(layer: Weighted, activation: str, std: float, generator: torch.Generator) -> None:
    # The layers' own reset_parameters, drawing from the run's generator instead of the global one.
    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
    fan_in = layer.weight[0].numel()
    bound = 1 / math.sqrt(fan_in)
    if layer.bias is not None:  # a convolution before batch norm has none
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


def _normal(layer: Weighted, activation: str, std: float, generator: torch.Generator) -> None:
    nn.init.normal_(layer.weight, 0.0, std, generator=generator)
    _zero_bias(layer)


def _zeros(layer: Weighted, activation: str, std: float, generator: torch.Generator) -> None:
    nn.init.zeros_(layer.weight)
    _zero_bias(layer)


INITS: dict[str, Init] = {
    "auto": _auto,  # Xavier/Glorot for sigmoid, tanh and linear; He/Kaiming for the ReLU family
    "xavier": _xavier,
    "he": _he,
    "pytorch": _pytorch,  # the framework's default for nn.Linear
    "normal": _normal,  # N(0, init_std)
    "zeros": _zeros,  # every neuron identical: the symmetry problem
}


class Dropout(nn.Module):
    """Inverted dropout, as `nn.Dropout`, but drawing its masks from the run's own
    generator: `nn.Dropout` uses torch's process-wide RNG, which every session on a
    classroom server shares, so a seed would no longer reproduce a run."""

    def __init__(self, p: float, generator: torch.Generator) -> None:
        super().__init__()
        self.p = p
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=self.generator) >= self.p
        return x * keep / (1 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class MLP(nn.Module):
    """A multi-layer perceptron: Linear -> activation (-> dropout) for each hidden layer,
    then a Linear output layer giving the logits. `layers` is the whole network in order."""

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int],
        out_features: int,
        activation: str = "tanh",
        dropout: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        sizes = [in_features, *hidden_sizes]
        layers: list[nn.Module] = []
        for fan_in, width in zip(sizes, hidden_sizes):
            layers += [nn.Linear(fan_in, width), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(Dropout(dropout, generator or torch.Generator()))
        layers.append(nn.Linear(sizes[-1], out_features))
        self.layers = nn.Sequential(*layers)
        self.has_dropout = dropout > 0 and bool(hidden_sizes)  # else training and evaluation modes compute the same

    @property
    def linears(self) -> list[nn.Linear]:
        """The weighted layers, input layer first, output layer last."""
        return [layer for layer in self.layers if isinstance(layer, nn.Linear)]

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x.flatten(1))  # an image becomes one long vector of pixels

    def hidden_outputs(self, x: Tensor) -> list[Tensor]:
        """Each hidden layer's activations for inputs `x` (no dropout), first layer first."""
        outputs = []
        x = x.flatten(1)
        for layer in self.layers[:-1]:
            if isinstance(layer, Dropout):
                continue
            x = layer(x)
            if not isinstance(layer, nn.Linear):
                outputs.append(x)
        return outputs


class ConvNet(nn.Module):
    """A convolutional network: conv blocks, then an MLP classifier.

    Each block is `convs_per_block` x (convolution -> activation) and a 2x2 max-pool that
    halves the picture, keeping the strongest signal; with "same" zero padding a
    convolution keeps the picture's size. The last block's feature maps are flattened
    into the fully connected layers (`hidden_sizes`, with dropout), which give the logits.

    With `batch_norm`, each convolution's maps are normalised over the mini-batch (mean 0,
    std 1 per channel, then a learnt scale and shift) before the activation, so each layer
    sees inputs of a steady scale and a higher learning rate trains stably (Ioffe & Szegedy,
    2015); the convolution then needs no bias. In evaluation mode the running means of
    training are used instead of the batch's.

    Pictures go through the convolutions channels-last (NHWC in memory): the same numbers,
    about 1.5x faster on a CPU for these small channel counts (measured, bench/mnist.py).
    """

    def __init__(
        self,
        image_size: int,
        conv_channels: Sequence[int],
        hidden_sizes: Sequence[int],
        out_features: int,
        activation: str = "relu",
        dropout: float = 0.0,
        kernel_size: int = 5,
        padding: str = "same",
        convs_per_block: int = 1,
        generator: torch.Generator | None = None,
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        channels, side = 1, image_size
        for width in conv_channels:
            for _ in range(convs_per_block):
                blocks.append(nn.Conv2d(channels, width, kernel_size, padding=padding, bias=not batch_norm))
                blocks += [nn.BatchNorm2d(width)] if batch_norm else []
                blocks.append(ACTIVATIONS[activation]())
                channels, side = width, side if padding == "same" else side - kernel_size + 1
            blocks.append(nn.MaxPool2d(2))
            side //= 2
        self.features = nn.Sequential(*blocks)
        self.classifier = MLP(channels * side * side, hidden_sizes, out_features, activation, dropout, generator)
        # Training and evaluation modes differ with dropout, and with batch norm (batch or running statistics).
        self.has_dropout = self.classifier.has_dropout or batch_norm

    @property
    def linears(self) -> list[nn.Linear]:
        return self.classifier.linears

    @property
    def convs(self) -> list[nn.Conv2d]:
        return [layer for layer in self.features if isinstance(layer, nn.Conv2d)]

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x.contiguous(memory_format=torch.channels_last)))

    def feature_maps(self, x: Tensor) -> list[tuple[str, Tensor]]:
        """The picture after each convolution (with its activation) and each pooling,
        as (stage name, maps of shape (n, channels, side, side))."""
        stages: list[tuple[str, Tensor]] = []
        convs = pools = 0
        x = x.contiguous(memory_format=torch.channels_last)
        for layer in self.features:
            x = layer(x)
            if isinstance(layer, nn.MaxPool2d):
                pools += 1
                stages.append((f"pool {pools}", x))
            elif not isinstance(layer, (nn.Conv2d, nn.BatchNorm2d)):  # the activation after a convolution
                convs += 1
                stages.append((f"conv {convs}", x))
        return stages


# Model names as the course says them: a single layer with softmax, a multi-layer
# perceptron, a convolutional network (images only).
MODELS = ("softmax", "mlp", "cnn")


def _initialise(model: nn.Module, init: str, activation: str, init_std: float, generator: torch.Generator) -> None:
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, (nn.Linear, nn.Conv2d)):
                INITS[init](layer, activation, init_std, generator)


def build_mlp(
    in_features: int,
    hidden_sizes: Sequence[int],
    out_features: int,
    activation: str,
    init: str,
    init_std: float = 0.1,
    dropout: float = 0.0,
    seed: int = 0,
) -> MLP:
    """An initialised MLP; the same seed gives the same weights and the same dropout masks."""
    generator = torch.Generator().manual_seed(seed)
    model = MLP(in_features, hidden_sizes, out_features, activation, dropout, generator)
    _initialise(model, init, activation, init_std, generator)
    return model


def build_model(config: RunConfig, in_shape: tuple[int, ...], out_features: int) -> MLP | ConvNet:
    """The network a config describes, for inputs of shape `in_shape` (one example)."""
    if config.model != "cnn":  # softmax is an MLP whose config has no hidden layers
        return build_mlp(math.prod(in_shape), config.hidden_sizes, out_features, config.activation, config.init,
                         config.init_std, config.dropout, config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model = ConvNet(in_shape[-1], config.conv_channels, config.hidden_sizes, out_features, config.activation,
                    config.dropout, config.kernel_size, config.padding, config.convs_per_block, generator,
                    config.batch_norm)
    _initialise(model, config.init, config.activation, config.init_std, generator)
    # Channels-last weights, once drawn (drawing into them would place the same seed's numbers otherwise).
    return model.to(memory_format=torch.channels_last)
