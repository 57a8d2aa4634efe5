"""What the page calls each engine name, in the course's words and the session's language.

Each table reads like a dict (`labels.OPTIMIZERS["adam"]`, `labels.DATASETS.get`) and looks
the name up in `texts/<lang>/label.toml` at call time, so a language switch applies at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from engine.core.config import FIELDS as CONFIG_FIELDS
from engine.core.datasets import DATASETS as DATASET_NAMES
from engine.core.datasets import OWN
from engine.core.models import ACTIVATIONS as ACTIVATION_NAMES
from engine.core.models import INITS as INIT_NAMES
from engine.core.optimizers import OPTIMIZERS as OPTIMIZER_NAMES
from playground.i18n import t


class _Labels(Mapping[str, str]):
    def __init__(self, section: str, names: list[str]) -> None:
        self._section, self._names = section, names

    def __getitem__(self, name: str) -> str:
        if name not in self._names:
            raise KeyError(name)
        return t(f"label.{self._section}.{name}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def format(self) -> Callable[[str], str | None]:
        """A `format_func` for widgets: the labels as they are now, in this run's language.
        (Streamlit's AppTest calls format functions again outside the script run, where the
        session's language cannot be read; a snapshot answers the same as the page did.)"""
        return dict(self).get


DATASETS = _Labels("dataset", [*DATASET_NAMES, OWN])
ACTIVATIONS = _Labels("activation", list(ACTIVATION_NAMES))
INITS = _Labels("init", list(INIT_NAMES))
OPTIMIZERS = _Labels("optimizer", list(OPTIMIZER_NAMES))
FIELDS = _Labels("field", list(CONFIG_FIELDS))
