"""The Lessons home page and the lesson panel, driven by Streamlit's AppTest (no browser)."""

import pytest
from streamlit.testing.v1 import AppTest

from engine.course.lessons import LESSONS
from playground.i18n import catalog
from playground.pages import HOME


@pytest.fixture
def open_home(open_page):
    """The home page from a link in `lang`, in presenter mode if `present`."""
    return lambda lang="en", present=False: open_page(HOME, {"lang": lang, **({"present": "1"} if present else {})})


def texts(at: AppTest) -> str:
    return " ".join(str(m.value) for m in [*at.markdown, *at.caption, *at.title])


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_home_shows_one_card_per_idea_in_the_chosen_language(open_home, lang):
    at = open_home(lang)
    shown = texts(at)
    for lesson in LESSONS.values():
        assert catalog(lang)[f"lessons.{lesson.id}.title"] in shown
        assert at.button(key=f"lesson.open.{lesson.id}")
    assert catalog(lang)["lessons.title"] in shown
    assert at.query_params["lang"] == lang


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_each_lesson_opens_its_page_with_its_settings_and_its_question(open_home, lesson_id, lang):
    lesson = LESSONS[lesson_id]
    at = open_home(lang)
    at.button(key=f"lesson.open.{lesson_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # The page rewrites the address from the settings it runs: the lesson's own query means they were applied.
    for name, value in lesson.query.items():
        assert at.query_params[name] == value, name
    assert at.query_params["lesson"] == lesson_id and at.query_params["lang"] == lang
    question = at.radio(key=f"lesson.choice.{lesson_id}")
    assert catalog(lang)[f"lessons.{lesson_id}.question"] in question.label


def test_a_lesson_overrides_what_the_student_had_set(open_home):
    at = open_home()
    at.button(key="lesson.open.perceptron").click().run()
    at.switch_page("views/playground.py").run()
    at.selectbox(key="cfg.dataset").set_value("spirals").run()
    at.switch_page("views/lessons.py").run()
    at.button(key="lesson.open.heads").click().run()
    assert not at.exception
    assert at.selectbox(key="cfg.dataset").value == LESSONS["heads"].query["dataset"]


def test_the_answer_waits_for_a_choice_and_for_the_run(open_home):
    lesson = LESSONS["heads"]
    at = open_home()
    at.button(key="lesson.open.heads").click().run()
    why = catalog("en")["lessons.heads.why"]
    assert not any(why in s.value for s in [*at.success, *at.warning])
    at.radio(key="lesson.choice.heads").set_value("ABCD"[lesson.answer]).run()
    assert not any(why in s.value for s in at.success)  # chosen, but the run has not shown it yet
    assert any("The answer shows after step" in c.value for c in at.caption)
    for _ in range(lesson.reveal_after):  # +1 epoch is at least one step
        at.button(key="epoch").click().run()
        if at.success:
            break
    assert any(why in s.value and "Right!" in s.value for s in at.success)


def test_a_wrong_answer_is_corrected_not_graded(open_home):
    lesson = LESSONS["heads"]
    at = open_home()
    at.button(key="lesson.open.heads").click().run()
    wrong = (lesson.answer + 1) % 3
    at.radio(key="lesson.choice.heads").set_value("ABCD"[wrong]).run()
    for _ in range(lesson.reveal_after):
        at.button(key="epoch").click().run()
        if at.warning:
            break
    assert any("Not quite" in w.value for w in at.warning)


def test_presenter_mode_hides_the_sidebar_and_secondary_controls_but_keeps_play(open_home):
    at = open_home(present=True)
    at.button(key="lesson.open.heads").click().run()
    assert not at.exception
    assert at.query_params["present"] == "1"
    assert not at.sidebar.selectbox and not at.sidebar.button  # no settings drawn
    assert at.button(key="play") and at.button(key="step") and at.button(key="reset")
    assert not at.toggle and not at.select_slider  # speed and view toggles are hidden
    assert at.radio(key="lesson.choice.heads")  # the question stays
    at.button(key="present.exit").click().run()
    assert at.sidebar.selectbox and "present" not in at.query_params


def test_the_language_switch_changes_the_page_and_the_link(open_home):
    at = open_home("en")
    at.sidebar.segmented_control(key="lang").set_value("ko").run()
    assert catalog("ko")["lessons.title"] in texts(at)
    assert at.query_params["lang"] == "ko"


@pytest.mark.parametrize("lesson_id", ["perceptron", "optimizers", "mnist", "backprop"])
def test_every_kind_of_page_works_in_presenter_mode_in_korean(open_home, lesson_id):
    at = open_home("ko", present=True)
    at.button(key=f"lesson.open.{lesson_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key=f"lesson.choice.{lesson_id}")
    # The sidebar is hidden by the page's style (the race and the lab still keep their settings in it).
    assert any('section[data-testid="stSidebar"]' in m.value and "display: none" in m.value for m in at.markdown)
    if lesson_id == "perceptron":  # charts drawn larger, after a step
        at.button(key="compare.step").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.multiselect  # the variation stays as the lesson set it, its widgets hidden
