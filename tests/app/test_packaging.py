"""Packaging: pyproject pins match requirements.txt, and a real (non-editable) install works
from outside the checkout: the nn-playground command trains on the installed MNIST copy and
serves the installed app with the packaged Streamlit settings."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from playground import cli
from tests.serve import free_port, stop

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
COMMANDS = ("serve", "serve-class", "train", "lessons", "download-mnist")
ENGINE_COMMANDS = COMMANDS[2:]


def _requirements_txt() -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def _pins(requirements: list[Requirement]) -> dict[str, str]:
    return {requirement.name.lower(): str(requirement.specifier) for requirement in requirements}


def test_pyproject_pins_are_requirements_txt_and_python_is_311():
    pyproject = _pins([Requirement(line) for line in PYPROJECT["project"]["dependencies"]])
    assert pyproject == _pins(_requirements_txt())
    assert all(spec.startswith("==") for spec in pyproject.values()), pyproject
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]) == SpecifierSet(">=3.11")
    assert PYPROJECT["project"]["scripts"]["nn-playground"] == "playground.cli:main"


# ---------------------------------------------------------------- the command, in this checkout


def test_serve_command_runs_the_app_with_the_packaged_streamlit_settings():
    command = cli.serve_command(["--server.port", "8502"])
    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(ROOT / "playground" / "app.py")]
    assert "--runner.postScriptGC=false" in command
    assert "--server.port=8501" in command and "--server.headless=true" in command
    assert command[-2:] == ["--server.port", "8502"]  # after the packaged settings, so it wins
    settings = tomllib.loads((ROOT / "playground" / "config.toml").read_text())
    assert len(cli.streamlit_flags()) == sum(map(len, settings.values()))


def test_help_lists_the_five_commands(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(f"\n  {command} " in out for command in COMMANDS), out
    assert cli.main([]) == 2 and cli.main(["nonsense"]) == 2


def test_engine_commands_are_delegated_to_engine_cli(monkeypatch):
    import engine.cli

    seen = []
    monkeypatch.setattr(engine.cli, "main", lambda argv: seen.append(argv) or 7)
    for command in ENGINE_COMMANDS:
        assert cli.main([command, "--json"]) == 7
    assert seen == [[command, "--json"] for command in ENGINE_COMMANDS]


# ---------------------------------------------------------------- a real install, used from elsewhere


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """A fresh venv with the project pip-installed (not editable) into it; its big dependencies
    (torch, streamlit, ...) come from this interpreter's site-packages through a .pth file.
    Returns the venv, a working folder outside the checkout, and the environment to run in."""
    work = tmp_path_factory.mktemp("installed")
    venv = work / "venv"
    env = {key: value for key, value in os.environ.items()
           if key not in ("NN_PLAYGROUND_MNIST", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env |= {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    # No pip of its own (ensurepip alone takes ~10 s): pip and setuptools come with the rest.
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], work, env)
    python = venv / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        work, env).stdout.strip())
    ours = [p for p in site.getsitepackages() + sys.path if Path(p).name in ("site-packages", "dist-packages")]
    (purelib / "_reuse_dependencies.pth").write_text("\n".join(dict.fromkeys(ours)) + "\n")
    # pip builds a local folder in place (build/, *.egg-info): build a copy, not the checkout.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "shots", "tests", "bench"))
    backend = _run([str(python), "-c", "import setuptools, importlib.util as u; print(setuptools.__version__, "
                    "bool(u.find_spec('setuptools.command.bdist_wheel') or u.find_spec('wheel')))"], work, env).stdout
    version, can_build_wheels = backend.split()
    reusable = int(version.split(".")[0]) >= 64 and can_build_wheels == "True"
    isolation = ["--no-build-isolation", "--no-index"] if reusable else []  # else: setuptools from PyPI
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", *isolation, str(source)], work, env, timeout=300)
    return venv, work, env


def test_install_ships_the_app_files_and_mnist(installed):
    venv, work, env = installed
    where = json.loads(_run([str(venv / "bin" / "python"), "-c",
                             "import json, engine, playground, engine.core.mnist_data as m; "
                             "print(json.dumps([engine.__file__, playground.__file__, str(m.data_dir())]))"],
                            work, env).stdout)
    engine_file, playground_file, data_dir = map(Path, where)
    for module in (engine_file, playground_file):
        assert not module.resolve().is_relative_to(ROOT) and module.resolve().is_relative_to(venv.resolve()), module
    assert data_dir == venv / "share" / "nn-playground" / "mnist"
    assert {p.name for p in data_dir.iterdir()} == {p.name for p in (ROOT / "data" / "mnist").iterdir()}
    package = playground_file.parent
    for pattern in ("config.toml", "texts/*/*.toml", "components/*.js", "components/*.css", "static/*.js", "views/*.py",
                    "app.py"):
        wanted = {p.relative_to(ROOT / "playground") for p in (ROOT / "playground").glob(pattern)}
        assert wanted and wanted <= {p.relative_to(package) for p in package.glob(pattern)}, pattern


def test_installed_command_trains_on_the_installed_mnist_from_elsewhere(installed):
    venv, work, env = installed
    result = _run([str(venv / "bin" / "nn-playground"), "train", "--dataset", "mnist", "--model", "softmax",
                   "--train-size", "100", "--steps", "1", "--json"], work, env)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["config"]["dataset"] == "mnist" and report["config"]["model"] == "softmax"
    assert report["steps"] == 1 and report["diverged"] is False
    assert 0 <= report["final"]["test_acc"] <= 1 and len(report["per_class_acc"]) == 10


def test_installed_app_renders_its_home_page_in_both_languages(installed):
    """Streamlit's AppTest on the installed app.py: its pages and texts/*/*.toml load from the install."""
    venv, work, env = installed
    script = """
import json
from streamlit.testing.v1 import AppTest
import playground.cli as cli
pages = {}
for lang in ("en", "ko"):
    app = AppTest.from_file(str(cli.APP), default_timeout=60)
    app.query_params["lang"] = lang
    app.run()
    pages[lang] = {"exceptions": [e.value for e in app.exception], "headings": [m.value for m in app.markdown][:1]}
print(json.dumps({"app": str(cli.APP), "pages": pages}))
"""
    result = json.loads(_run([str(venv / "bin" / "python"), "-c", script], work, env).stdout.strip().splitlines()[-1])
    assert Path(result["app"]).is_relative_to(venv), result["app"]
    for lang, page in result["pages"].items():
        assert page["exceptions"] == [] and page["headings"], (lang, page)
    assert result["pages"]["en"]["headings"] != result["pages"]["ko"]["headings"]


def test_installed_command_serves_the_app_from_elsewhere(installed):
    venv, work, env = installed
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = work / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen([str(venv / "bin" / "nn-playground"), "serve", "--server.port", str(port),
                                   "--server.headless", "true"], cwd=work, env=env, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"the server exited:\n{log.read_text()}"
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no answer on {url} within 60 s:\n{log.read_text()}"
            time.sleep(0.25)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
        # serve exec'd Streamlit in place (same process), with the packaged settings as flags.
        command = Path(f"/proc/{server.pid}/cmdline").read_bytes().decode().split("\0")
        assert "streamlit" in command and "--runner.postScriptGC=false" in command, command
        assert str(venv / "lib") in next(arg for arg in command if arg.endswith("app.py"))
    finally:
        stop(server, 15)
