"""The `nn-playground` command (also `python -m playground`): the app and the engine's commands.

    nn-playground serve                       # the app on http://localhost:8501
    nn-playground serve --server.port 8502    # any further flag goes to `streamlit run`
    nn-playground serve-class --replicas 2    # a class: replicas behind nginx (playground.serve_class)
    nn-playground train --dataset xor --hidden 4 --epochs 100 --json
    nn-playground lessons --check
    nn-playground download-mnist

`train`, `export-script`, `lessons` and `download-mnist` are `python -m engine ...` (engine.cli). `serve` runs
Streamlit on the installed playground/app.py with the project's Streamlit settings
(playground/config.toml) passed as `--section.key=value` flags: Streamlit reads .streamlit/
only from the current folder, so an installed app started anywhere else would lose them (and
runner.postScriptGC=false is what keeps a live page fast).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

APP = Path(__file__).resolve().with_name("app.py")
STREAMLIT_CONFIG = APP.with_name("config.toml")
DEFAULT_PORT = 8501
EXIT_BAD_ARGUMENTS = 2
COMMANDS = {
    "serve": f"run the app in the browser (default http://localhost:{DEFAULT_PORT}); further flags go to "
             "`streamlit run`, e.g. --server.port 8502",
    "serve-class": f"serve a class: one app process per core behind nginx, on port {DEFAULT_PORT} "
                   "(nn-playground serve-class --help)",
    "train": "train one network and report (nn-playground train --help lists every flag)",
    "export-script": "write a run as a standalone PyTorch script that trains it again (--out run.py)",
    "lessons": "list the course's lessons, or --check that each still tells its story",
    "download-mnist": "download any MNIST file that is missing or damaged",
}
ENGINE_COMMANDS = ("train", "export-script", "lessons", "download-mnist")


# ---------------------------------------------------------------- serve


def _flags(prefix: str, value: Any) -> list[str]:
    if isinstance(value, dict):  # a [section.subsection] table
        return [flag for key, inner in value.items() for flag in _flags(f"{prefix}.{key}", inner)]
    if isinstance(value, list):  # a list option: Streamlit takes the flag once per item
        return [flag for item in value for flag in _flags(prefix, item)]
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return [f"--{prefix}={text}"]


def streamlit_flags(config: Path = STREAMLIT_CONFIG) -> list[str]:
    """Every setting of a Streamlit config.toml as `--section.key=value` flags, plus the default port."""
    with config.open("rb") as file:
        settings = tomllib.load(file)
    flags = [flag for section, options in settings.items() for flag in _flags(section, options)]
    if not any(flag.startswith("--server.port=") for flag in flags):
        flags.append(f"--server.port={DEFAULT_PORT}")
    return flags


def serve_command(argv: Sequence[str] = ()) -> list[str]:
    """The `streamlit run` command line `serve` executes; `argv` comes last, so its flags win
    over the packaged settings (for a repeated option Streamlit takes the last value)."""
    return [sys.executable, "-m", "streamlit", "run", str(APP), *streamlit_flags(), *argv]


SERVE_HELP = f"""usage: nn-playground serve [STREAMLIT FLAGS ...]

Run the app ({APP}) with Streamlit, on http://localhost:{DEFAULT_PORT} unless --server.port says
otherwise. The settings of {STREAMLIT_CONFIG.name} are passed as flags; any flag given here goes to
`streamlit run` after them and so wins (`python -m streamlit run --help` lists them all).
Ctrl-C stops the server."""


def serve_main(argv: Sequence[str]) -> int:
    """`nn-playground serve [flags]`: replaces this process by Streamlit (on POSIX), so Ctrl-C and
    a kill reach the server itself; returns Streamlit's exit code elsewhere."""
    own = list(argv[:list(argv).index("--")] if "--" in argv else argv)
    if "-h" in own or "--help" in own:
        print(SERVE_HELP)
        return 0
    command = serve_command(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(command[0], command)  # does not return
    with subprocess.Popen(command) as server:  # Windows has no real exec: wait for the child
        try:
            return server.wait()
        except KeyboardInterrupt:  # the console sent Ctrl-C to the server too; let it stop
            return server.wait()


# ---------------------------------------------------------------- all commands


def parser() -> argparse.ArgumentParser:
    width = max(map(len, COMMANDS))
    commands = "\n".join(f"  {name:<{width}}  {help_text}" for name, help_text in COMMANDS.items())
    result = argparse.ArgumentParser(
        prog="nn-playground", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Neural-network playground: build small networks, train them live in the browser.",
        epilog=f"commands:\n{commands}\n\nEach command has --help.")
    result.add_argument("command", choices=list(COMMANDS), metavar="COMMAND", help="one of: " + ", ".join(COMMANDS))
    result.add_argument("args", nargs=argparse.REMAINDER, help="the command's own arguments (see COMMAND --help)")
    result.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    return result


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nn-playground")
    except PackageNotFoundError:
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """`nn-playground COMMAND ...`; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        return serve_main(argv[1:])
    if argv[:1] == ["serve-class"]:
        from playground.serve_class import main as serve_class_main

        return serve_class_main(argv[1:])
    if argv[:1] and argv[0] in ENGINE_COMMANDS:
        from engine.cli import main as engine_main  # imports torch: only for these commands

        return engine_main(argv)
    try:
        parser().parse_args(argv)  # --help, --version, or an error (exit 2) for anything else
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else EXIT_BAD_ARGUMENTS
    return 0
