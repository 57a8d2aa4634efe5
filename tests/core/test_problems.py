"""The engine's messages: a code and parameters, said in English for the CLI (and in Korean by the app)."""

import ast
import re
from pathlib import Path

import pytest

from engine.core.config import ConfigError, RunConfig
from engine.core.mnist_data import MnistError, load_mnist
from engine.core.problems import ENGLISH, Name, Names, Problem, names

ENGINE = Path(__file__).resolve().parents[2] / "engine"
# What raises or builds a message from a code: each takes the code first, its parameters as keywords.
MESSAGE_MAKERS = {"ConfigError", "MnistError", "EngineError", "problem", "Problem"}


def placeholders(template: str) -> set[str]:
    return set(re.findall(r"{(\w+)[^}]*}", template))


def _callee(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else None


def _helpers(trees: dict[Path, ast.Module]) -> dict[str, tuple[list[str], bool]]:
    """Functions of the engine that pass a `code` parameter on (such as `_check(ok, code, **params)`),
    with their parameter names and whether their keywords are the message's parameters: their
    callers must name a code as the makers' callers do."""
    found = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and "code" in [a.arg for a in node.args.args]:
                found[node.name] = ([a.arg for a in node.args.args], node.args.kwarg is not None)
    return found


def _literals(code: ast.expr | None) -> list[str | None]:
    """The codes an argument can be: a literal, either branch of `a if c else b`, else None (unknown)."""
    if isinstance(code, ast.IfExp):
        return _literals(code.body) + _literals(code.orelse)
    return [code.value if isinstance(code, ast.Constant) and isinstance(code.value, str) else None]


def message_calls() -> list[tuple[str, str | None, set[str] | None]]:
    """(where, code or None if it is not a literal, the parameters the call names or None if unknown) of
    every call in the engine that makes a message from a code; a helper's pass-through of its own `code`
    is left out."""
    trees = {path: ast.parse(path.read_text()) for path in ENGINE.rglob("*.py") if path.name != "problems.py"}
    helpers = _helpers(trees)
    calls = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or (name := _callee(node)) not in MESSAGE_MAKERS | set(helpers):
                continue
            arguments, keywords_are_params = helpers.get(name, (["code"], True))
            index = arguments.index("code")
            code = next((k.value for k in node.keywords if k.arg == "code"),
                        node.args[index] if len(node.args) > index else None)
            where = f"{path.relative_to(ENGINE.parent)}:{node.lineno}"
            if isinstance(code, ast.Name) and code.id == "code":
                continue  # a helper passing its own code on
            params = _named_params(node, arguments, name) if keywords_are_params else None
            calls += [(where, literal, params) for literal in _literals(code)]
    return calls


def _named_params(node: ast.Call, arguments: list[str], name: str) -> set[str] | None:
    """The parameters a call gives its message, when they can be read off the call."""
    if name == "Problem":
        if len(node.args) < 2:
            return set()
        given = node.args[1]
        if isinstance(given, ast.Dict) and all(isinstance(k, ast.Constant) for k in given.keys):
            return {k.value for k in given.keys}
        return None
    if any(k.arg is None for k in node.keywords):  # **params: not known here
        return None
    return {k.arg for k in node.keywords} - set(arguments)


def test_the_scan_finds_the_engines_messages():
    codes = {code for _, code, _ in message_calls()}
    assert {"range", "unknown_choice", "mnist_damaged", "link_value_invalid", "compare_count"} <= codes


def test_every_engine_message_names_a_known_code():
    unknown = [(where, code) for where, code, _ in message_calls() if code not in ENGLISH]
    assert unknown == [], "give each message a code with its English template in engine/core/problems.py"


def test_every_engine_message_gives_exactly_its_templates_parameters():
    wrong = [(where, code, params, placeholders(ENGLISH[code])) for where, code, params in message_calls()
             if code in ENGLISH and params is not None and params != placeholders(ENGLISH[code])]
    assert wrong == []


def test_a_message_says_names_bare_given_values_quoted_and_numbers_as_numbers():
    error = ConfigError("range", name=Name("noise"), low=0, high=1.0, value=1.5)
    assert str(error) == "noise must be from 0 to 1, got 1.5"
    assert error.problem == Problem("range", {"name": "noise", "low": 0, "high": 1.0, "value": 1.5})
    assert str(Problem("unknown_choice", {"name": Name("dataset"), "value": "xo", "choices": names(["xor", "and"])})) == (
        "unknown dataset 'xo'; choose one of: xor, and")


def test_a_message_inside_a_message_is_said_in_place():
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_dict({"noise": "loud"})
    assert str(caught.value) == "noise: expected a number, got 'loud'"
    assert caught.value.problem.code == "setting" and caught.value.problem.params["problem"].code == "parse_number"


def test_a_list_of_given_values_is_said_one_after_another():
    assert str(Problem("unknown_settings_ignored", {"names": Names(["zoom", "speed"])})) == (
        "unknown setting(s) 'zoom', 'speed' ignored")


def test_an_unknown_code_fails_where_it_is_raised_not_on_a_page():
    with pytest.raises(KeyError, match="something went wrong"):
        ConfigError("something went wrong")


def test_a_damaged_mnist_file_is_a_data_error_with_a_code(tmp_path):
    from engine.core.mnist_data import DATA_DIR, MNIST_FILES

    for idx_file in MNIST_FILES.values():
        (tmp_path / idx_file.name).write_bytes((DATA_DIR / idx_file.name).read_bytes())
    damaged = tmp_path / MNIST_FILES["train_images"].name
    damaged.write_bytes(damaged.read_bytes()[:5000])
    with pytest.raises(MnistError) as caught:
        load_mnist(tmp_path)
    problem = caught.value.problem
    assert problem.code == "mnist_damaged" and problem.params["problem"].code == "gzip_incomplete"
    assert str(caught.value).startswith(f"{tmp_path / damaged.name} is corrupt (not a complete gzip file")
