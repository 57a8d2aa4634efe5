"""The code is built in layers, each importing only those below it, so a student can read the engine without the UI:
engine.core < engine.experiments < engine.course, engine.export < engine.cli < playground (with streamlit and plotly).
Every import counts, at the top of a file or inside a function."""

import ast
from pathlib import Path

import pytest

# Lowest first. A module's layer is that of the longest prefix of its dotted name in this table.
LAYERS = {
    "engine": 0, "engine.core": 0,
    "engine.experiments": 1,
    "engine.course": 2, "engine.export": 2,
    "engine.cli": 3, "engine.__main__": 3,
    "playground": 4, "streamlit": 4, "plotly": 4,
}
LAYER_NAMES = ["engine.core", "engine.experiments", "engine.course/engine.export", "engine.cli", "playground"]
PACKAGES = ("engine", "playground")


def layer(module: str) -> int | None:
    """The layer of a dotted module name, or None for the standard library and other third-party packages."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in LAYERS:
            return LAYERS[".".join(parts[:end])]
    return None


def imported_names(tree: ast.Module, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, dotted name) of everything `module` imports, anywhere in it. For `from a import b`, `a.b` is named
    too where it lies in another layer than `a`: `b` may be a submodule (`from engine import cli`)."""
    package = module if is_package else module.rpartition(".")[0]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against this module's package
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.append((node.lineno, base))
            names += [(node.lineno, f"{base}.{alias.name}") for alias in node.names
                      if layer(f"{base}.{alias.name}") != layer(base)]
    return names


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every import in `source` (the text of `module`) of a layer above the module's own."""
    own = layer(module)
    found = []
    for line, name in imported_names(ast.parse(source), module, is_package):
        target = layer(name)
        if own is not None and target is not None and target > own:
            found.append(f"{module}:{line} ({LAYER_NAMES[own]}) imports {name} ({LAYER_NAMES[target]})")
    return sorted(set(found))


def project_modules() -> list[tuple[Path, str, bool]]:
    root = Path(__file__).resolve().parents[1]
    modules = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            modules.append((path, ".".join(parts[:-1] if is_package else parts), is_package))
    return modules


def test_the_layer_table_places_each_package():
    assert [layer(name) for name in ("engine", "engine.core.loop", "engine.experiments.race", "engine.course.lessons",
                                     "engine.cli", "playground.views.race", "streamlit.testing", "torch")] == \
        [0, 0, 1, 2, 3, 4, 4, None]


def test_every_package_file_is_checked():
    modules = {module for _, module, _ in project_modules()}
    assert {"engine", "engine.core.trainer", "engine.experiments.seeds", "engine.course.lessons", "engine.cli",
            "playground.app", "playground.views.compare"} <= modules


@pytest.mark.parametrize(("path", "module", "is_package"), project_modules(), ids=lambda value: str(value))
def test_no_module_imports_a_layer_above_its_own(path, module, is_package):
    assert violations(path.read_text(), module, is_package) == []


def test_the_checker_catches_a_lazy_import_from_a_higher_layer():
    source = "import torch\nfrom engine.core.models import MODELS\n\ndef show():\n    import streamlit as st\n"
    assert violations(source, "engine.core.trainer") == ["engine.core.trainer:5 (engine.core) imports streamlit (playground)"]


@pytest.mark.parametrize(("module", "source", "culprit"), [
    ("engine.core.loop", "from engine.experiments.seeds import SeedsTrainer", "engine.experiments.seeds"),
    ("engine.experiments.compare", "from engine import course", "engine.course"),
    ("engine.course.lessons", "from ..cli import main", "engine.cli"),
    ("engine.cli", "import plotly.graph_objects as go", "plotly.graph_objects"),
    ("engine.core.probes", "from playground.pages import PAGES", "playground.pages"),
])
def test_the_checker_catches_each_forbidden_direction(module, source, culprit):
    (found,) = violations(source, module)
    assert f"imports {culprit} " in found


def test_the_checker_allows_imports_downwards():
    source = "from engine.core.loop import train\nfrom engine.experiments import race\nfrom . import links\nimport numpy\n"
    assert violations(source, "engine.course.presets") == []
    assert violations("from engine.cli import main\nimport streamlit", "playground.app") == []
