"""Networks: activations, weight initialisations, output heads and the MLP.

An `MLP` with no hidden layers is a single-layer perceptron (logistic regression):
one weighted sum of the inputs, so its decision boundary is a straight line.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

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

Init = Callable[[nn.Linear, str, float, torch.Generator], None]


def _xavier(linear: nn.Linear, activation: str, std: float, generator: torch.Generator) -> None:
    nn.init.xavier_uniform_(linear.weight, generator=generator)
    nn.init.zeros_(linear.bias)


def _he(linear: nn.Linear, activation: str, std: float, generator: torch.Generator) -> None:
    nn.init.kaiming_normal_(linear.weight, nonlinearity="relu", generator=generator)
    nn.init.zeros_(linear.bias)


def _auto(linear: nn.Linear, activation: str, std: float, generator: torch.Generator) -> None:
    (_he if activation in RELU_FAMILY else _xavier)(linear, activation, std, generator)


def _pytorch(linear: nn.Linear, activation: str, std: float, generator: torch.Generator) -> None:
    # nn.Linear.reset_parameters, drawing from the run's generator instead of the global one.
    nn.init.kaiming_uniform_(linear.weight, a=math.sqrt(5), generator=generator)
    bound = 1 / math.sqrt(linear.in_features)
    nn.init.uniform_(linear.bias, -bound, bound, generator=generator)


def _normal(linear: nn.Linear, activation: str, std: float, generator: torch.Generator) -> None:
    nn.init.normal_(linear.weight, 0.0, std, generator=generator)
    nn.init.zeros_(linear.bias)


def _zeros(linear: nn.Linear, activation: str, std: float, generator: torch.Generator) -> None:
    nn.init.zeros_(linear.weight)
    nn.init.zeros_(linear.bias)


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

    @property
    def linears(self) -> list[nn.Linear]:
        """The weighted layers, input layer first, output layer last."""
        return [layer for layer in self.layers if isinstance(layer, nn.Linear)]

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)

    def hidden_outputs(self, x: Tensor) -> list[Tensor]:
        """Each hidden layer's activations for inputs `x` (no dropout), first layer first."""
        outputs = []
        for layer in self.layers[:-1]:
            if isinstance(layer, Dropout):
                continue
            x = layer(x)
            if not isinstance(layer, nn.Linear):
                outputs.append(x)
        return outputs


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
    with torch.no_grad():
        for linear in model.linears:
            INITS[init](linear, activation, init_std, generator)
    return model


class BinaryHead:
    """Two classes: one logit, sigmoid probability, binary cross-entropy."""

    def __init__(self) -> None:
        self.loss = nn.BCEWithLogitsLoss()

    def n_outputs(self, n_classes: int) -> int:
        return 1

    def targets(self, labels: Tensor) -> Tensor:
        return labels.float().unsqueeze(1)

    def probabilities(self, logits: Tensor) -> Tensor:
        """P(class 1) per example, shape (n,)."""
        return torch.sigmoid(logits).squeeze(1)

    def predictions(self, logits: Tensor) -> Tensor:
        return (logits.squeeze(1) > 0).long()


class SoftmaxHead:
    """One-of-N classes: N logits, softmax probabilities, cross-entropy."""

    def __init__(self) -> None:
        self.loss = nn.CrossEntropyLoss()

    def n_outputs(self, n_classes: int) -> int:
        return n_classes

    def targets(self, labels: Tensor) -> Tensor:
        return labels

    def probabilities(self, logits: Tensor) -> Tensor:
        """Class probabilities per example, shape (n, N)."""
        return torch.softmax(logits, dim=1)

    def predictions(self, logits: Tensor) -> Tensor:
        return logits.argmax(dim=1)


def head_for(n_classes: int) -> BinaryHead | SoftmaxHead:
    """The output head for a classification task with `n_classes` classes."""
    return BinaryHead() if n_classes == 2 else SoftmaxHead()
