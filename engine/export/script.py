"""A run written out as a standalone PyTorch script: the bridge from clicking to code.

    print(script_for(trainer))              # the run a page shows, at its current step
    run_script(config, steps=500)           # any config (python -m engine export-script)

The script needs torch and numpy only (no import of this project) and reads as a lesson: the
data, the network, its initial weights, the loss and the optimizer, then one plain training
loop, commented the way PyTorch's own `examples/mnist/main.py` is. It builds the same data,
draws the same initial weights and the same batch order from the run's seed, replays the
settings changed live on the page at the steps they were taken, and so prints the same losses:
its last line is the JSON `final` block that `python -m engine train <the same flags> --steps N
--json` prints (tests/export checks it for every dataset, head, activation, optimizer, input
feature and the CNN).

Each part is written from the engine's own registries and constants (the optimizers' options,
the datasets' shapes, the one-cycle schedule), so the script follows when they change; the
tests catch any drift between what it computes and what the engine does.
"""

from __future__ import annotations

import json
import shlex
import textwrap
from collections.abc import Sequence
from typing import Any

from engine.core import datasets as ds
from engine.core import optimizers as opt
from engine.core.config import FIELDS, FULL_BATCH, RunConfig, conv_output_size, format_value
from engine.core.datasets import BINARY, IMAGE_SIZE, MNIST_MEAN, MNIST_STD, MULTICLASS, OWN, REGRESSION, held_out_points
from engine.core.mnist_data import MNIST_FILES
from engine.core.models import RELU_FAMILY, build_model
from engine.core.own_data import decode_points, own_point_count
from engine.core.trainer import FULL_EVAL_LIMIT, SHUFFLE_SEED_OFFSET, WATCH_EVERY, Change, Trainer

# The file a run that started from uploaded weights reads them from (the page says so beside the script).
START_WEIGHTS = "start.safetensors"
# Lines of progress a 2D run prints at most (an image run prints one per epoch).
PROGRESS_LINES = 20

_ACTIVATION_MODULES = {
    "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "relu": "nn.ReLU()", "leaky_relu": "nn.LeakyReLU(0.01)",
    "elu": "nn.ELU()", "gelu": "nn.GELU()", "linear": "nn.Identity()",
}


def command_flags(config: RunConfig) -> str:
    """The `python -m engine train` flags that set `config` (those that differ from the defaults)."""
    def flag(name: str) -> str:
        flag, value = FIELDS[name].metadata["flag"], getattr(config, name)
        if isinstance(value, bool):
            return flag if value else f"--no-{flag.removeprefix('--')}"
        return f"{flag} {shlex.quote(format_value(name, value))}"

    return " ".join(flag(name) for name in config.to_query())


def script_for(trainer: Trainer, points_csv_name: str | None = None) -> str:
    """The script of `trainer`'s run up to its current step: its settings at step 0 and every
    live change since. A run on points uploaded as CSV (which its config does not hold) reads
    them from the file `points_csv_name`, which the page offers beside the script."""
    return run_script(trainer.start_config, trainer.step, trainer.changes, points_csv_name=points_csv_name,
                      weights_from=trainer.weights_from, weight_names=list(trainer.model.state_dict()),
                      batched=trainer.batched, measured=trainer.measured_mid_epoch)


def weight_names(config: RunConfig) -> list[str]:
    """The names of the tensors of `config`'s network, as the engine's model (and its saved weights) has them."""
    in_shape = (1, IMAGE_SIZE, IMAGE_SIZE) if config.images else (len(config.features),)
    return list(build_model(config, in_shape, _outputs(config)).state_dict())


def run_script(config: RunConfig, steps: int, changes: Sequence[Change] = (), *, points_csv_name: str | None = None,
               weights_from: int | None = None, weight_names: Sequence[str] = (), batched: bool = False,
               measured: Sequence[int] = ()) -> str:
    """The standalone script that trains `config` for `steps` steps, taking each of `changes`
    (live settings) after the step it names. A run that started from uploaded weights (trained
    `weights_from` steps elsewhere) reads them from `START_WEIGHTS`, the file uploaded, whose
    tensors the engine's model names `weight_names` (its `state_dict`'s order, which the
    script's model has too). Raises ValueError for a run on uploaded points without
    `points_csv_name`. A run that trained `batched` with others on a class server (engine.core.cohort)
    took the same steps, rounded otherwise: the script says its losses agree to a few digits. `measured`:
    steps where the page measured mid-epoch (an MNIST run's Stop), where running training figures restart."""
    if config.dataset == OWN and not own_point_count(config.own_points) and points_csv_name is None:
        raise ValueError("a run on uploaded points needs points_csv_name: its config does not hold them")
    opening = [_header(config, steps, changes, weights_from, batched), _imports(config, weights_from is not None),
               _settings(config, steps, changes)]
    parts = [
        "\n\n".join(part.strip("\n") for part in opening),
        _data(config, points_csv_name),
        _network(config, weight_names if weights_from is not None else ()),
        _training_setup(config),
        _evaluation(config),
        _loop(config, changes, [step for step in measured if step < steps]),
    ]
    return "\n\n\n".join(part.strip("\n") for part in parts) + "\n"


# ---------------------------------------------------------------- the parts, in the script's order


def _network_words(c: RunConfig) -> str:
    if c.model == "cnn":
        convs = "-".join(map(str, c.conv_channels))
        extra = f", {c.convs_per_block} convolutions per block" if c.convs_per_block > 1 else ""
        return (f"a CNN (conv blocks of {convs} channels, {c.kernel_size}x{c.kernel_size} kernels, {c.padding} padding"
                f"{extra}{', batch norm' if c.batch_norm else ''}) with hidden layers "
                f"{'-'.join(map(str, c.hidden_sizes)) or 'none'} ({c.activation})")
    if not c.hidden_sizes:
        return "a single layer (no hidden layer)"
    return f"an MLP with hidden layers {'-'.join(map(str, c.hidden_sizes))} ({c.activation})"


def _header(c: RunConfig, steps: int, changes: Sequence[Change], weights_from: int | None, batched: bool) -> str:
    data = "MNIST digits" if c.images else "your own points" if c.dataset == OWN else f"the {c.dataset} data"
    batch = "the whole training set (gradient descent)" if c.full_batch else f"mini-batches of {c.batch_size}"
    live = (f" Settings changed while it trained ({len(changes)} change{'s' if len(changes) != 1 else ''}) are "
            "taken at the same steps (CHANGES below).") if changes else ""
    uploaded = (f" It started from uploaded weights (trained {weights_from} steps before), which it reads from "
                f"{START_WEIGHTS}: the .safetensors file uploaded.") if weights_from is not None else ""
    summary = textwrap.fill(f"{_capital(_network_words(c))} learning {data}, written out by the neural-network "
                            f"playground: {c.optimizer} at learning rate {c.learning_rate:g}, {batch}, seed {c.seed}, "
                            f"{steps} step{'s' if steps != 1 else ''}.{live}{uploaded}", width=100)
    return f'''"""{summary}

{_same(c, steps, changes, weights_from)}{_rounding(batched)}

Needs only torch and numpy:  python run.py
"""'''


def _same(c: RunConfig, steps: int, changes: Sequence[Change], weights_from: int | None) -> str:
    if changes or weights_from is not None or c.dataset == OWN:  # (no `train` command line makes these)
        return ("Same seed, same data, same initial weights, same batch order as on the page: this script\n"
                "prints the same losses, and its last line is the run's final figures as JSON.")
    return ("Same seed, same data, same initial weights, same batch order as on the page: this script\n"
            "prints the same losses, and its last line is the JSON \"final\" block of\n\n"
            f"    python -m engine train {command_flags(c)} --steps {steps} --json")


def _rounding(batched: bool) -> str:
    if not batched:
        return ""
    return ("\n\nOn the page, the server's class trainer trained this network (it trains every student's\n"
            "network at once, as one batched model): the same steps, with the numbers rounded in another\n"
            "order, so the losses printed here agree with the page's to about four digits, not exactly.")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _imports(c: RunConfig, weights: bool) -> str:
    lines = [*(["import gzip"] if c.images else []), "import json", "import math",
             *(["from pathlib import Path"] if c.images or weights else [])]
    return "\n".join(lines) + "\n\nimport numpy as np\nimport torch\nfrom torch import nn"


def _settings(c: RunConfig, steps: int, changes: Sequence[Change]) -> str:
    lines = [
        f"SEED = {c.seed}",
        f"STEPS = {steps}",
        f"LEARNING_RATE = {c.learning_rate!r}",
        f"BATCH_SIZE = {c.batch_size!r}  # \"full\": the whole training set at every step" if c.full_batch
        else f"BATCH_SIZE = {c.batch_size}",
        f"WEIGHT_DECAY = {c.weight_decay!r}  # L2 regularisation",
    ]
    if c.one_cycle:
        lines.append(f"ONE_CYCLE_EPOCHS = {c.one_cycle}  # the learning rate follows one cycle over this many epochs")
    if c.early_stopping:
        lines.append(f"PATIENCE = {c.early_stopping}  # early stopping: epochs without a new lowest test loss")
    if changes:
        entries = ",\n".join(f"    {change.step}: {_literal(change.settings)}" for change in changes)
        lines += ["# Settings changed while the run trained: {steps taken: new values}, taken before the next step.",
                  f"CHANGES = {{\n{entries},\n}}"]
    return "\n".join(lines)


def _literal(settings: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{name!r}: {value!r}" for name, value in settings.items()) + "}"


# ---- data

_GENERATORS = {
    "corners": '''# Points scattered around the unit square's corners (x1, x2) = (0,0), (0,1), (1,0), (1,1),
# each labelled by the truth table {table}
corner = rng.integers(0, 4, size=N_POINTS)
bits = np.stack([corner // 2, corner % 2], axis=1).astype(np.float64)
x = bits + rng.normal(0.0, NOISE, size=(N_POINTS, 2))
y = np.array({labels})[corner]''',
    "circle": '''# A disc (label 1) inside a ring (label 0)
y = (np.arange(N_POINTS) % 2).astype(np.int64)
radius = np.where(y == 1, rng.uniform(0.0, 0.5, N_POINTS), rng.uniform(0.7, 1.0, N_POINTS))
angle = rng.uniform(0.0, 2 * np.pi, N_POINTS)
x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
x = x + rng.normal(0.0, NOISE, size=(N_POINTS, 2))''',
    "gaussians": '''# Two Gaussian blobs; noise widens them until they overlap
y = (np.arange(N_POINTS) % 2).astype(np.int64)
centre = np.where(y[:, None] == 1, 0.5, -0.5)
x = centre + rng.normal(0.0, 0.2 + NOISE, size=(N_POINTS, 2))''',
    "spirals": '''# Two interleaved spiral arms, each turning 1.75 times (the noise scaled down: the arms are close)
y = (np.arange(N_POINTS) % 2).astype(np.int64)
t = rng.uniform(0.0, 1.0, N_POINTS)
radius = 0.1 + 0.9 * t
angle = 3.5 * np.pi * t + np.pi * y
x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
x = x + rng.normal(0.0, NOISE * {spiral_noise!r}, size=(N_POINTS, 2))''',
    "moons": '''# Two interleaving half circles, centred on the origin
y = (np.arange(N_POINTS) % 2).astype(np.int64)
angle = rng.uniform(0.0, np.pi, N_POINTS)
upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
lower = np.stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
x = np.where(y[:, None] == 0, upper, lower) - [0.5, 0.25]
x = x + rng.normal(0.0, NOISE, size=(N_POINTS, 2))''',
    "three_blobs": '''# Three Gaussian blobs (classes 0, 1, 2), their centres 120 degrees apart
y = (np.arange(N_POINTS) % 3).astype(np.int64)
angle = np.pi / 2 + 2 * np.pi / 3 * y
centre = {radius!r} * np.stack([np.cos(angle), np.sin(angle)], axis=1)
x = centre + rng.normal(0.0, 0.2 + NOISE, size=(N_POINTS, 2))''',
    "plane": '''# Points on the square [-1, 1]^2, each with the height of a tilted plane above it, plus noise
x = rng.uniform(-1.0, 1.0, size=(N_POINTS, 2))
y = x @ np.array({slopes!r}) + rng.normal(0.0, NOISE, N_POINTS)''',
    "gaussian_sum": '''# Points on the square [-1, 1]^2, each with the height of two hills and a valley above it, plus noise
x = rng.uniform(-1.0, 1.0, size=(N_POINTS, 2))
bumps = {bumps!r}  # (centre x1, centre x2, height)
y = sum(top * np.exp(-((x[:, 0] - c1) ** 2 + (x[:, 1] - c2) ** 2) / (2 * {width!r} ** 2)) for c1, c2, top in bumps)
y = y + rng.normal(0.0, NOISE, N_POINTS)''',
}

_TRUTH_TABLES = {"and": (0, 0, 0, 1), "or": (0, 1, 1, 1), "xor": (0, 1, 1, 0)}

_FEATURE_CODE = {
    "x1": "x[:, 0]", "x2": "x[:, 1]", "x1sq": "x[:, 0] * x[:, 0]", "x2sq": "x[:, 1] * x[:, 1]",
    "x1x2": "x[:, 0] * x[:, 1]", "sin_x1": "np.sin(x[:, 0])", "sin_x2": "np.sin(x[:, 1])",
}


def _generator(c: RunConfig) -> str:
    if c.dataset in _TRUTH_TABLES:
        table = _TRUTH_TABLES[c.dataset]
        return _GENERATORS["corners"].format(table=f"{c.dataset.upper()} {list(table)}", labels=list(table))
    return _GENERATORS[c.dataset].format(spiral_noise=ds.SPIRAL_NOISE_SCALE, radius=ds.BLOB_RADIUS,
                                         slopes=list(ds.PLANE_SLOPES), bumps=[list(b) for b in ds.GAUSSIAN_BUMPS],
                                         width=ds.BUMP_WIDTH)


def _own_points(c: RunConfig, points_csv_name: str | None) -> str:
    if points_csv_name is not None:
        return f'''# Your own points, read from the CSV file saved with this script: x1, x2, then the {"value" if
                   c.task == REGRESSION else "class"} of each point
table = np.loadtxt({points_csv_name!r}, delimiter=",", skiprows=1, ndmin=2)
x, y = table[:, :2], table[:, 2]{"" if c.task == REGRESSION else ".astype(np.int64)"}
N_POINTS = len(x)'''
    x, y, _ = decode_points(c.own_points)
    rows = ",\n".join(f"    [{a!r}, {b!r}]" for a, b in x.tolist())
    return f'''# Your own points, as drawn on the page: x1, x2, then the {"value" if c.task == REGRESSION else "class"} of each
x = np.array([
{rows},
])
y = np.array({y.tolist()!r}{"" if c.task == REGRESSION else ", dtype=np.int64"})
N_POINTS = len(x)'''


def _data(c: RunConfig, points_csv_name: str | None) -> str:
    if c.images:
        return _image_data(c)
    own = c.dataset == OWN
    target_type = "np.float32" if c.task == REGRESSION else "np.int64"
    lines = ["# ---------------------------------------------------------------- the data", ""]
    if own:
        lines += [f"TEST_FRACTION = {c.test_fraction!r}", "rng = np.random.default_rng(SEED)",
                  _own_points(c, points_csv_name)]
    else:
        lines += [f"N_POINTS, NOISE, TEST_FRACTION = {c.n_points}, {c.noise!r}, {c.test_fraction!r}",
                  "rng = np.random.default_rng(SEED)  # one seed: the same points every time", _generator(c)]
    lines += [
        "",
        "# Shuffle, then hold out the first TEST_FRACTION of the points for testing",
        "order = rng.permutation(N_POINTS)",
        f"x, y = x[order] * {c.input_scale!r}, y[order]  # the input scale: large inputs saturate a sigmoid"
        if c.input_scale != 1 else "x, y = x[order], y[order]",
        "n_test = min(max(1, round(N_POINTS * TEST_FRACTION)), N_POINTS - 1)",
        "x_train, x_test, y_train, y_test = x[n_test:], x[:n_test], y[n_test:], y[:n_test]",
    ]
    if c.standardize:
        lines += [
            "# Standardise: mean 0 and std 1 for each input, measured on the training set only",
            "mean, std = x_train.mean(axis=0), x_train.std(axis=0)",
            "std[std == 0] = 1.0",
            "x_train, x_test = (x_train - mean) / std, (x_test - mean) / std",
        ]
    features = ", ".join(c.features)
    columns = ", ".join(_FEATURE_CODE[name] for name in c.features)
    lines += [
        "",
        "",
        "def features(x):",
        f'    """What the network sees of each point (x1, x2): {features}."""',
        "    x = x.astype(np.float32)",
        f"    return torch.from_numpy(np.stack([{columns}], axis=1).astype(np.float32))",
        "",
        "",
        "x_train, x_test = features(x_train), features(x_test)",
    ]
    if c.task == MULTICLASS:
        lines.append("# The targets: each point's class")
        lines.append(f"t_train, t_test = torch.from_numpy(y_train.astype({target_type})), "
                     f"torch.from_numpy(y_test.astype({target_type}))")
    else:
        what = "its value" if c.task == REGRESSION else "its label, 0.0 or 1.0"
        lines.append(f"# The targets, one column: {what}")
        lines.append(f"t_train = torch.from_numpy(y_train.astype({target_type})).float().unsqueeze(-1)")
        lines.append(f"t_test = torch.from_numpy(y_test.astype({target_type})).float().unsqueeze(-1)")
    return "\n".join(lines)


def _image_data(c: RunConfig) -> str:
    files = {field: spec.name for field, spec in MNIST_FILES.items()}
    return f'''# ---------------------------------------------------------------- the data

# MNIST: the four files of https://yann.lecun.com/exdb/mnist/ (the playground keeps a copy in data/mnist/)
MNIST_DIR = Path("data/mnist")
TRAIN_SIZE = {c.train_size}  # the first TRAIN_SIZE training images; the test set is all 10,000


def read_idx(name):
    """One IDX file as a uint8 array: its header gives the number of dimensions and their sizes."""
    if not (MNIST_DIR / name).is_file():
        raise SystemExit(f"{{MNIST_DIR / name}} is missing: put MNIST's four .gz files in {{MNIST_DIR}}/ "
                         "(python -m engine download-mnist fetches them), or set MNIST_DIR above")
    with gzip.open(MNIST_DIR / name, "rb") as file:
        data = file.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def normalise(images):
    """Grey levels 0-255 -> inputs of mean 0 and std 1 (MNIST's own), shape (n, 1, {IMAGE_SIZE}, {IMAGE_SIZE})."""
    return torch.from_numpy(((images / 255).astype(np.float32) - {MNIST_MEAN!r}) / {MNIST_STD!r})[:, None]


x_train = normalise(read_idx({files["train_images"]!r})[:TRAIN_SIZE])
t_train = torch.from_numpy(read_idx({files["train_labels"]!r})[:TRAIN_SIZE].astype(np.int64))
x_test = normalise(read_idx({files["test_images"]!r}))
t_test = torch.from_numpy(read_idx({files["test_labels"]!r}).astype(np.int64))'''


# ---- the network


def _init_code(c: RunConfig) -> tuple[str, str]:
    """(the init function's body, what it is in words)."""
    init = c.init
    if init == "auto":
        init = "he" if c.activation in RELU_FAMILY else "xavier"
    bias = "    if layer.bias is not None:  # (a convolution before batch norm has none)\n        " if c.batch_norm else "    "
    zero_bias = f"{bias}nn.init.zeros_(layer.bias)"
    if init == "xavier":
        return (f"    nn.init.xavier_uniform_(layer.weight, generator=generator)\n{zero_bias}",
                "Xavier/Glorot: uniform, scaled by the layer's inputs and outputs (suits sigmoid and tanh)")
    if init == "he":
        return (f'    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=generator)\n{zero_bias}',
                "He/Kaiming: normal, scaled by the layer's inputs (suits the ReLU family)")
    if init == "normal":
        return (f"    nn.init.normal_(layer.weight, 0.0, {c.init_std!r}, generator=generator)\n{zero_bias}",
                f"normal: N(0, {c.init_std:g}) for every weight")
    if init == "zeros":
        return (f"    nn.init.zeros_(layer.weight)\n{zero_bias}",
                "zeros: every neuron starts the same, and stays the same (the symmetry problem)")
    body = ("    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)\n"
            "    bound = 1 / math.sqrt(layer.weight[0].numel())  # 1 / sqrt(the layer's inputs)\n"
            f"{bias}nn.init.uniform_(layer.bias, -bound, bound, generator=generator)")
    return body, "PyTorch's own default for nn.Linear, drawn from our generator"


_READ_SAFETENSORS = '''


def read_safetensors(path):
    """A .safetensors file's tensors: 8 bytes giving the header's size, the header (JSON: each
    tensor's type, shape and place), then the numbers. Plain data: reading it runs no code."""
    data = Path(path).read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    types = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, entry in header.items():
        if name != "__metadata__":
            start, end = (8 + size + offset for offset in entry["data_offsets"])
            numbers = np.frombuffer(data[start:end], dtype=types[entry["dtype"]]).reshape(entry["shape"])
            tensors[name] = torch.from_numpy(numbers.copy())
    return tensors


# The weights this run started from, under the playground's names for them, in the order of this model's own
START_WEIGHTS = "@FILE@"
WEIGHT_NAMES = @NAMES@
tensors = read_safetensors(START_WEIGHTS)
model.load_state_dict({name: tensors[theirs] for name, theirs in zip(model.state_dict(), WEIGHT_NAMES)})'''


def _network(c: RunConfig, weight_names: Sequence[str] = ()) -> str:
    act = _ACTIVATION_MODULES[c.activation]
    drop = f", Dropout({c.dropout!r}, generator)" if c.dropout > 0 else ""
    layers: list[str] = []
    n_in = len(c.features)
    if c.images:
        layers.append("nn.Flatten(),  # an image becomes one long vector of pixels" if c.model != "cnn" else "")
        n_in = IMAGE_SIZE * IMAGE_SIZE
    if c.model == "cnn":
        layers = []
        channels = 1
        for width in c.conv_channels:
            block = []
            for _ in range(c.convs_per_block):
                bias = ", bias=False" if c.batch_norm else ""
                block.append(f'nn.Conv2d({channels}, {width}, {c.kernel_size}, padding="{c.padding}"{bias}), '
                             + (f"nn.BatchNorm2d({width}), " if c.batch_norm else "") + f"{act},")
                channels = width
            block.append("nn.MaxPool2d(2),")
            layers.append(" ".join(block))
        side = conv_output_size(c)
        layers.append(f"nn.Flatten(),  # {channels} maps of {side}x{side}")
        n_in = channels * side * side
    n_out = _outputs(c)
    sizes = [n_in, *c.hidden_sizes]
    for fan_in, width in zip(sizes, c.hidden_sizes):
        layers.append(f"nn.Linear({fan_in}, {width}), {act}{drop},")
    layers.append(f"nn.Linear({sizes[-1]}, {n_out}),  # {_output_words(c)}")
    body, words = _init_code(c)
    dropout_class = '''

class Dropout(nn.Module):
    """nn.Dropout, but drawing its masks from our own generator (so the seed gives the same run)."""

    def __init__(self, p, generator):
        super().__init__()
        self.p, self.generator = p, generator

    def forward(self, x):
        if not self.training:  # evaluation: every neuron
            return x
        keep = torch.rand(x.shape, generator=self.generator) >= self.p
        return x * keep / (1 - self.p)  # scaled up, so the next layer sees the same total on average
''' if c.dropout > 0 and c.hidden_sizes else ""
    layer_lines = "\n".join(f"    {line}" for line in layers if line)
    start_weights = "" if not weight_names else \
        _READ_SAFETENSORS.replace("@FILE@", START_WEIGHTS).replace("@NAMES@", _names_literal(weight_names))
    channels_last = '''

# Pictures go through the convolutions channels-last (NHWC in memory): the same numbers, faster on a CPU
model = model.to(memory_format=torch.channels_last)''' if c.model == "cnn" else ""
    return f'''# ---------------------------------------------------------------- the network
{dropout_class}
generator = torch.Generator().manual_seed(SEED)  # the initial weights{" and the dropout masks" if dropout_class else ""}
model = nn.Sequential(
{layer_lines}
)


def init_weights(layer):
    """{words}."""
{body}


with torch.no_grad():
    for layer in model.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            init_weights(layer){channels_last}{start_weights}'''


def _names_literal(names: Sequence[str]) -> str:
    lines, line = [], ""
    for name in names:
        item = f"{json.dumps(name)}, "
        if len(line) + len(item) > 96:
            lines.append(line.rstrip())
            line = ""
        line += item
    return "[\n" + "\n".join(f"    {text}" for text in [*lines, line.rstrip()]) + "\n]"


def _outputs(c: RunConfig) -> int:
    if c.images:
        return 10
    if c.task == MULTICLASS:
        return 3
    return 1


def _output_words(c: RunConfig) -> str:
    if c.task == BINARY:
        return "one output: its sigmoid is P(class 1)"
    if c.task == REGRESSION:
        return "one output: the predicted value"
    return f"{_outputs(c)} outputs: their softmax gives each class's probability"


# ---- loss, optimizer, evaluation


def _training_setup(c: RunConfig) -> str:
    spec = opt.OPTIMIZERS[c.optimizer]
    options = "".join(f", {name}={value!r}" for name, value in spec.options.items())
    loss = {BINARY: "nn.BCEWithLogitsLoss()  # sigmoid, then binary cross-entropy",
            MULTICLASS: "nn.CrossEntropyLoss()  # softmax, then cross-entropy",
            REGRESSION: "nn.MSELoss()  # mean squared error"}[c.task]
    accuracy = {BINARY: "((logits > 0).float() == targets).float().mean().item()  # logit > 0: P(class 1) > 0.5",
                MULTICLASS: "(logits.argmax(dim=-1) == targets).float().mean().item()",
                REGRESSION: "math.nan  # a value is not right or wrong"}[c.task]
    one_cycle = f'''


def one_cycle(progress):
    """The one-cycle schedule's share of the peak rate at `progress` (0: start, 1: the cycle's end):
    from 1/25 up to the peak over the first 30% (a half cosine), then down to 1/250,000, and stay."""
    if progress >= 1:
        return {opt.ONE_CYCLE_END!r}
    if progress < {opt.ONE_CYCLE_WARMUP!r}:
        start, end, part = {opt.ONE_CYCLE_START!r}, 1.0, progress / {opt.ONE_CYCLE_WARMUP!r}
    else:
        start, end, part = 1.0, {opt.ONE_CYCLE_END!r}, (progress - {opt.ONE_CYCLE_WARMUP!r}) / (1 - {opt.ONE_CYCLE_WARMUP!r})
    return end + (start - end) * (1 + math.cos(math.pi * max(part, 0.0))) / 2''' if c.one_cycle else ""
    return f'''# ---------------------------------------------------------------- loss and optimizer

loss_fn = {loss}
# {_optimizer_words(c.optimizer)}
optimizer = torch.optim.{spec.make.__name__}(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY{options})


def accuracy(logits, targets):
    """The share of examples answered right."""
    return {accuracy}{one_cycle}'''


def _optimizer_words(name: str) -> str:
    return {
        "sgd": "SGD: a step straight down the gradient",
        "momentum": "SGD with momentum: a running velocity, so zig-zags cancel out",
        "nesterov": "Nesterov momentum (NAG): momentum that looks ahead before it steps",
        "adagrad": "Adagrad: each weight's step shrinks with its history of gradients",
        "rmsprop": "RMSProp: Adagrad with a decaying history",
        "adadelta": "AdaDelta: RMSProp scaled by the sizes of past updates too",
        "adam": "Adam: RMSProp plus momentum",
        "nadam": "NAdam: Adam with Nesterov's look-ahead",
    }[name] + ("; fused=True: one kernel for the whole update, the same maths" if "fused" in
               opt.OPTIMIZERS[name].options else "; foreach=True: all tensors at once, the same maths")


def _evaluation(c: RunConfig) -> str:
    if not c.images:
        return '''def evaluate():
    """Loss and accuracy on the whole training and test sets, without dropout."""
    model.eval()
    with torch.no_grad():
        logits = model(torch.cat([x_train, x_test]))  # one pass for both sets
    model.train()
    train, test = logits[: len(x_train)], logits[len(x_train) :]
    return {"train_loss": loss_fn(train, t_train).item(), "test_loss": loss_fn(test, t_test).item(),
            "train_acc": accuracy(train, t_train), "test_acc": accuracy(test, t_test)}'''
    exact = c.train_size <= FULL_EVAL_LIMIT
    train = ('''train_loss, train_acc = measure(x_train, t_train)''' if exact else
             '''# 60,000 images are too many to measure again at every epoch: the training figures are the
    # mean over the mini-batches since the last measure, as training loops usually report them
    train_loss, train_acc = (seen_loss / seen, seen_correct / seen) if seen else (test_loss, test_acc)''')
    running_statistics = " (batch norm: its running statistics)" if c.batch_norm else ""
    return f'''def measure(x, targets, part=1000):
    """Loss and accuracy on a set of images in evaluation mode{running_statistics}, a part at a time."""
    model.eval()
    loss = correct = 0.0
    with torch.no_grad():
        for start in range(0, len(x), part):
            logits = model(x[start : start + part])
            n = len(logits)
            loss += loss_fn(logits, targets[start : start + part]).item() * n
            correct += accuracy(logits, targets[start : start + part]) * n
    model.train()
    return loss / len(x), correct / len(x)


def evaluate({"seen_loss, seen_correct, seen" if not exact else ""}):
    """Loss and accuracy on the test set and on the training set."""
    test_loss, test_acc = measure(x_test, t_test)
    {train}
    return {{"train_loss": train_loss, "test_loss": test_loss, "train_acc": train_acc, "test_acc": test_acc}}'''


# ---- the loop


def _training_examples(c: RunConfig) -> int:
    """The training set's size (0 when only the uploaded points know it: any batch may then be all of them)."""
    if c.images:
        return c.train_size
    if c.dataset == OWN:
        n = own_point_count(c.own_points)
        return n - held_out_points(n, c.test_fraction) if n else 0
    return c.n_points - held_out_points(c.n_points, c.test_fraction)


def _loop(c: RunConfig, changes: Sequence[Change], measured: Sequence[int]) -> str:
    images = c.images
    running = images and c.train_size > FULL_EVAL_LIMIT
    may_be_full = any(size == FULL_BATCH or size >= _training_examples(c)
                      for size in [c.batch_size, *(ch.settings["batch_size"] for ch in changes if "batch_size" in ch.settings)])
    setup = [
        "# ---------------------------------------------------------------- training",
        "",
        "n_train = len(x_train)",
        'batch_size = n_train if BATCH_SIZE == "full" else min(BATCH_SIZE, n_train)' if c.full_batch
        else "batch_size = min(BATCH_SIZE, n_train)",
        "steps_per_epoch = math.ceil(n_train / batch_size)",
        f"shuffle = torch.Generator().manual_seed(SEED + {SHUFFLE_SEED_OFFSET})  # the batch order's own random stream",
        "order, cursor = torch.arange(n_train), n_train  # an order used up: the first step shuffles",
        "examples_seen = 0  # epochs so far = examples_seen / n_train",
    ]
    if changes:
        setup.append("learning_rate, weight_decay = LEARNING_RATE, WEIGHT_DECAY")
    if running:
        setup.append("seen_loss = seen_correct = seen = 0.0  # the mini-batches' figures since the last measure")
    measured = measured if running else []
    if measured:
        setup.append(f"MEASURED = {set(measured)!r}  # steps the page measured mid-epoch (Stop): the means restart")
    if c.early_stopping:
        setup.append("best = None  # (lowest test loss, its step, its epoch)")
    every = WATCH_EVERY if not images else None
    if not images:
        setup.append(f"print_every = max(1, STEPS // {PROGRESS_LINES})  # steps between progress lines, about")
        setup.append("next_print = print_every")
    evaluate = "evaluate(seen_loss, seen_correct, seen)" if running else "evaluate()"  # (running means: since the last)
    setup.append(f"figures = {evaluate} if STEPS == 0 else None  # (no step)")
    body: list[str] = ["for step in range(STEPS):"]
    if changes:
        body += [
            "    if step in CHANGES:  # a setting changed on the page after `step` steps: taken here too",
            "        change = CHANGES[step]",
            '        learning_rate = change.get("learning_rate", learning_rate)',
            '        weight_decay = change.get("weight_decay", weight_decay)',
            "        for group in optimizer.param_groups:",
            '            group["lr"], group["weight_decay"] = learning_rate, weight_decay',
            '        if "batch_size" in change:',
            '            batch_size = n_train if change["batch_size"] == "full" else min(change["batch_size"], n_train)',
            "            steps_per_epoch = math.ceil(n_train / batch_size)",
        ]
    if c.one_cycle:
        peak = "learning_rate" if changes else "LEARNING_RATE"
        body += [
            "    for group in optimizer.param_groups:  # the one-cycle schedule, by the epochs done",
            f'        group["lr"] = {peak} * one_cycle(examples_seen / n_train / ONE_CYCLE_EPOCHS)',
        ]
    batch = [
        "    # The next mini-batch: the training set in a new random order each epoch",
        "    if cursor >= n_train:",
        "        order, cursor = torch.randperm(n_train, generator=shuffle), 0",
        "    index = order[cursor : cursor + batch_size]",
        "    cursor += batch_size",
        "    x, targets = x_train[index], t_train[index]",
    ]
    if may_be_full:
        body += ["    if batch_size == n_train:  # the whole training set: plain gradient descent",
                 "        x, targets = x_train, t_train",
                 "    else:",
                 *("    " + line for line in batch)]
    else:
        body += batch
    body += [
        "",
        "    logits = model(x.contiguous(memory_format=torch.channels_last))" if c.model == "cnn"
        else "    logits = model(x)  # forward",
        "    loss = loss_fn(logits, targets)",
        "    optimizer.zero_grad(set_to_none=True)",
        "    loss.backward()  # backpropagation: every weight's gradient",
        "    optimizer.step()  # update",
        "    examples_seen += len(x)",
        "    done, epoch = step + 1, examples_seen / n_train",
    ]
    if running:
        body += ["    seen_loss += loss.item() * len(x)",
                 "    seen_correct += accuracy(logits.detach(), targets) * len(x)",
                 "    seen += len(x)"]
    body += [
        "    if not math.isfinite(loss.item()):",
        '        print(f"step {done}: the loss is {loss.item()}: training diverged (try a lower learning rate)")',
        f"        figures = {evaluate}",
        "        break",
    ]
    when = "done % steps_per_epoch == 0 or done == STEPS" + (" or done in MEASURED" if measured else "")
    watching = ""
    if c.early_stopping and every:
        when += f" or done % {every} == 0"
        watching = f", every {every} steps (where early stopping looks)"
    body += [
        f"    if {when}:  # each epoch's end{watching}, and the last step",
        f"        figures = {evaluate}",
    ]
    if running:
        body.append("        seen_loss = seen_correct = seen = 0.0")
    accuracy = "" if c.task == REGRESSION else ', test accuracy {figures[\'test_acc\']:.2%}'
    line = ['print(f"step {done:>6}  epoch {epoch:7.2f}  train loss {figures[\'train_loss\']:.4f}  "',
            f'      f"test loss {{figures[\'test_loss\']:.4f}}{accuracy}")']
    if images:  # a line at each epoch's end
        body += [f"        {line[0]}", f"        {line[1]}"]
    else:
        body += ["        if done >= next_print or done == STEPS:", f"            {line[0]}", f"            {line[1]}",
                 "            next_print = done + print_every"]
    body += [
        "        if not (math.isfinite(figures['train_loss']) and math.isfinite(figures['test_loss'])):",
        '            print(f"step {done}: the loss over a whole set is no longer finite: training diverged")',
        "            break",
    ]
    if c.early_stopping:
        watched = f"done % {every} == 0" if every else "done % steps_per_epoch == 0"
        body += [
            f"        if {watched}:  # early stopping looks here",
            "            if best is None or figures['test_loss'] < best[0]:",
            "                best = (figures['test_loss'], done, epoch)",
            "            if epoch - best[2] >= PATIENCE - 1e-9:",
            '                print(f"early stopping at step {done}: no new lowest test loss for {PATIENCE} epoch(s); "',
            '                      f"the lowest, {best[0]:.4f}, was at step {best[1]}")',
            "                break",
        ]
    final = [
        "",
        "# The last line: the run's final figures, as `python -m engine train ... --json` reports them",
        "print(json.dumps({name: value if math.isfinite(value) else None for name, value in figures.items()}))",
    ]
    return "\n".join(setup + [""] + body + final)
