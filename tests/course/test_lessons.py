"""The lessons: each opens its page set up by its link, and each claim holds when the engine runs it."""

import contextlib
import dataclasses
import io
import json
import math
import subprocess
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

import pytest
import torch

from engine import RunConfig
from engine.cli import lessons_main as main
from engine.course.lessons import LESSONS, Check, Lesson, check_all, link
from engine.course.links import CompareLink, MnistLink, RaceLink
from playground.pages import HOME, PAGES

# The pages whose runs train on 2D points from a seed: their claims must hold for other seeds too.
SEEDED_PAGES = ("playground", "compare")
LINK_CLASSES = {"playground": RunConfig, "compare": CompareLink, "race": RaceLink, "mnist": MnistLink}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """As `lessons --check` runs: small networks train faster on one thread than on two that contend."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def with_seed(query: Mapping[str, str], seed: int) -> dict[str, str]:
    return {**query, "seed": str(seed)}


def check_on_seed(lesson: Lesson, seed: int) -> Check:
    """The lesson's check on its own queries with another seed (its `check` is a partial over them)."""
    args = [with_seed(arg, seed) if isinstance(arg, Mapping) else arg for arg in lesson.check.args]
    return lesson.check.func(*args)


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_every_lessons_claim_holds(lesson_id):
    check = LESSONS[lesson_id].check()
    assert check.figures and all(isinstance(value, float) for value in check.figures.values())
    assert check.passed, (LESSONS[lesson_id].claim, check.figures)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in LESSONS.values() if lesson.page in SEEDED_PAGES])
def test_the_2d_claims_hold_for_other_seeds_too(lesson_id, seed):
    check = check_on_seed(LESSONS[lesson_id], seed)
    assert check.passed, (LESSONS[lesson_id].claim, check.figures)


def test_the_course_runs_in_order_one_lesson_per_idea():
    assert [lesson.idea for lesson in LESSONS.values()] == list(range(1, 12))
    assert [lesson.id for lesson in LESSONS.values()] == list(LESSONS)
    assert list(LESSONS) == ["perceptron", "backprop", "learning_rate", "saturation", "vanishing", "minibatch",
                             "optimizers", "overfitting", "heads", "mnist", "convolution"]


@pytest.mark.parametrize("lesson", LESSONS.values(), ids=list(LESSONS))
def test_each_lesson_is_well_formed(lesson):
    assert lesson.page in PAGES and lesson.page != HOME
    assert lesson.claim.endswith(".") and len(lesson.claim) < 400
    assert lesson.reveal_after >= 1 and 0 <= lesson.answer <= 3
    with pytest.raises(TypeError):
        lesson.query["dataset"] = "spirals"  # a lesson is data that nobody changes by accident


@pytest.mark.parametrize("lesson", LESSONS.values(), ids=list(LESSONS))
def test_every_query_reads_back_through_its_pages_link_without_warnings(lesson):
    for query in (lesson.query, lesson.try_query):
        if query is None:
            continue
        if lesson.page == "backprop":
            assert dict(query) == {}
            continue
        parsed, warnings = LINK_CLASSES[lesson.page].from_query(query)
        assert warnings == []
        assert parsed.to_query() == dict(query)
    if lesson.try_query is not None:
        assert dict(lesson.try_query) != dict(lesson.query)


def test_compare_lessons_vary_what_the_course_says():
    varied = {lesson.id: CompareLink.from_query(lesson.query)[0] for lesson in LESSONS.values() if lesson.page == "compare"}
    assert (varied["perceptron"].base.dataset, varied["perceptron"].vary, varied["perceptron"].values) == \
        ("xor", "hidden_sizes", ("", "4"))
    assert varied["learning_rate"].vary == "learning_rate" and len(varied["learning_rate"].values) == 3
    assert (varied["saturation"].vary, varied["saturation"].values) == ("input_scale", ("1", "100"))
    assert varied["saturation"].base.activation == "sigmoid" and not varied["saturation"].base.standardize
    assert (varied["vanishing"].vary, varied["vanishing"].values) == ("activation", ("sigmoid", "relu"))
    assert len(varied["vanishing"].base.hidden_sizes) >= 6
    assert (varied["minibatch"].vary, varied["minibatch"].align) == ("batch_size", "epochs")
    assert varied["minibatch"].values[0] == "full"  # Compare's step counter (the first run's) then counts epochs
    assert (varied["overfitting"].vary, varied["overfitting"].values) == ("dropout", ("0", "0.5"))


@pytest.mark.parametrize("lesson", LESSONS.values(), ids=list(LESSONS))
def test_a_lesson_link_is_its_page_its_query_and_its_id(lesson):
    url = urlsplit(link(lesson))
    assert url.path == f"/{lesson.page}"
    assert dict(parse_qsl(url.query, keep_blank_values=True)) == {**lesson.query, "lesson": lesson.id}
    assert link(lesson).endswith(f"&lesson={lesson.id}") or link(lesson) == f"/{lesson.page}?lesson={lesson.id}"


def test_link_format():
    assert link(LESSONS["backprop"]) == "/backprop?lesson=backprop"
    assert link(LESSONS["optimizers"]) == "/race?surface=rosenbrock&lesson=optimizers"
    assert link(LESSONS["perceptron"]).startswith("/compare?dataset=xor&")
    assert "values=%7C4" in link(LESSONS["perceptron"])  # "" and "4": no hidden layer, then one of 4


def test_check_all_runs_the_chosen_lessons_in_order():
    results = check_all(["optimizers", "backprop"])
    assert [lesson.id for lesson, _ in results] == ["optimizers", "backprop"]
    assert all(check.passed for _, check in results)
    with pytest.raises(KeyError, match="unknown lesson"):
        check_all(["no_such_lesson"])


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """`python -m engine lessons ARGS`, run in this process: its exit code, stdout and stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(list(args))
    return subprocess.CompletedProcess(["python", "-m", "engine", "lessons", *args], code, stdout.getvalue(),
                                       stderr.getvalue())


def test_the_cli_lists_all_eleven_lessons_with_their_links():
    result = run_cli("--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout.strip().splitlines()[-1])["lessons"]
    assert [row["id"] for row in listed] == list(LESSONS)
    assert [row["link"] for row in listed] == [link(lesson) for lesson in LESSONS.values()]
    text = run_cli().stdout
    assert all(lesson.id in text and link(lesson) in text for lesson in LESSONS.values())


def test_the_cli_checks_chosen_lessons_and_prints_one_json_object_last():
    result = run_cli("--check", "--json", "--only", "backprop", "optimizers")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    report = json.loads(lines[-1])
    assert [row["id"] for row in report["lessons"]] == ["backprop", "optimizers"]
    backprop = report["lessons"][0]
    assert backprop["pass"] is True and backprop["claim"] == LESSONS["backprop"].claim
    assert backprop["figures"]["z"] == pytest.approx(1.05) and round(backprop["figures"]["sigmoid_z"], 4) == 0.7408
    assert sum(line.startswith("PASS") for line in lines) == 2


def test_a_failing_claim_exits_1_and_a_nan_figure_is_null_in_json(monkeypatch, capsys):
    broken = dataclasses.replace(LESSONS["backprop"], check=lambda: Check({"z": math.nan, "sigmoid_z": 0.5}, passed=False))
    monkeypatch.setitem(LESSONS, "backprop", broken)
    assert main(["--check", "--json", "--only", "backprop"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("FAIL")
    assert json.loads(lines[-1]) == {"lessons": [{"id": "backprop", "claim": broken.claim,
                                                  "figures": {"z": None, "sigmoid_z": 0.5}, "pass": False}]}


def test_bad_arguments_exit_2_with_one_clear_line(capsys):
    for args in (["--only", "no_such_lesson"], ["--bogus"], ["--only"]):
        assert main(args) == 2, args
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), (args, lines)
