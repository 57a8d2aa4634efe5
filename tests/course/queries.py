"""Hypothesis strategies for what a student might paste: URL queries of every page and the CLI's
train flags, mixing the settings' own names and good values with nonsense, huge numbers and Markdown."""

from hypothesis import strategies as st

from engine.core.config import FIELDS
from engine.course.links import COMPARE_PARAMS, MNIST_PARAMS, RACE_PARAMS

# Values that mean something to some setting, so that many drawn links are (nearly) valid.
MEANINGFUL = [
    "xor", "circle", "spirals", "three_blobs", "plane", "mnist", "mlp", "softmax", "cnn", "relu", "sigmoid", "tanh",
    "adam", "sgd", "he", "zeros", "same", "valid", "full", "", "0", "1", "2", "3", "4", "5", "10", "16", "64", "100",
    "200", "512", "1000", "5000", "60000", "0.5", "0.1", "0.9", "1e-5", "100", "4,4", "8,8,8", "64,64,64", "512,512",
    "x1,x2", "x1,x1sq,x2sq", "sin_x1", "activation", "dataset", "batch_size", "hidden_sizes", "sigmoid|relu",
    "xor|mnist", "sgd|adam|nadam", "|4|8,8", "steps", "epochs", "rosenbrock", "beale", "sgd,adam", "sgd,teleport",
    "2147483647", "2147483648",
]
NONSENSE = [
    "nan", "inf", "-inf", "-1", "1e400", "0x10", "1_000", " 7 ", "true", "yes", "[Sign in again](https://example.com)",
    "# heading", "![x](https://example.com/x.png)", "`code`", "a\nb", "9" * 5000, "x" * 10_000, "|||", ",,,",
]
VALUES = st.one_of(
    st.sampled_from(MEANINGFUL + NONSENSE),
    st.text(max_size=20),
    st.integers(min_value=-10**6, max_value=10**7).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def queries(own_keys: frozenset[str] = frozenset()) -> st.SearchStrategy[dict[str, str]]:
    """URL queries mixing RunConfig's fields, a page's own keys and unknown ones."""
    keys = st.one_of(st.sampled_from(sorted(set(FIELDS) | own_keys)), st.text(max_size=12))
    return st.dictionaries(keys, VALUES, max_size=10)


def _own(params) -> frozenset[str]:
    return frozenset(key for param in params for key in param.keys)


COMPARE_KEYS, RACE_KEYS, MNIST_KEYS = _own(COMPARE_PARAMS), _own(RACE_PARAMS), _own(MNIST_PARAMS)


@st.composite
def train_flags(draw: st.DrawFn) -> list[str]:
    """`python -m engine train` arguments: some of RunConfig's flags and the CLI's own, with any value."""
    flags = [spec.metadata["flag"] for name, spec in FIELDS.items() if spec.type != "bool"]
    argv: list[str] = []
    for flag in draw(st.lists(st.sampled_from([*flags, "--epochs", "--steps", "--seeds"]), max_size=6, unique=True)):
        argv += [flag, draw(VALUES)]
    if draw(st.booleans()):
        argv.append("--standardize")
    if draw(st.booleans()):
        argv += ["--steps", "1"]  # most runs: no epoch count, so no trainer is built to count an epoch's steps
    return argv
