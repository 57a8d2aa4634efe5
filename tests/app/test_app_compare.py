"""The Compare page, driven by Streamlit's AppTest (no browser)."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from engine import RunConfig


@pytest.fixture
def open_compare(open_page):
    """The app opened at /compare (with `query` in the URL), as a browser opening a link does."""
    return lambda query=None, lang="en": open_page("compare", query, lang)


def comparison(at: AppTest):
    return at.session_state["compare.state"].comparison


def chart(at: AppTest, key: str) -> dict:
    """A Plotly chart's figure, as the browser receives it."""
    return json.loads(next(c for c in at.get("plotly_chart") if c.key == key).proto.spec)


def warnings(at: AppTest) -> list[str]:
    return [warning.value for warning in at.warning]


def test_compare_opens_with_sigmoid_against_relu_and_every_chart(open_compare):
    at = open_compare()
    assert [run.config.activation for run in comparison(at).runs] == ["sigmoid", "relu"]
    keys = {chart.key for chart in at.get("plotly_chart")}
    assert {"compare.boundary.0", "compare.boundary.1", "compare.loss", "compare.gradients.0",
            "compare.gradients.1"} <= keys
    assert chart(at, "compare.boundary.1")["layout"]["title"]["text"].startswith("Activation = ReLU: test")
    assert chart(at, "compare.loss")["layout"]["xaxis"]["title"]["text"] == "training step"
    assert at.query_params.get("vary") is None  # the default comparison keeps the link short


def test_compare_speaks_korean_with_the_english_terms_in_brackets(open_compare):
    at = open_compare(lang="ko")
    assert at.title[0].value == "비교 (Compare)"
    assert at.selectbox(key="compare.field").label == "바꿀 설정"
    title = chart(at, "compare.boundary.0")["layout"]["title"]["text"]
    assert title.startswith("활성화 함수 (activation function) = 시그모이드 (sigmoid): 테스트")
    assert chart(at, "compare.loss")["layout"]["xaxis"]["title"]["text"] == "학습 스텝 (step)"
    assert "학습 손실 (train loss)" in at.dataframe[0].value.columns
    assert at.button(key="compare.play").label == "재생 (Play)"


def test_step_and_epoch_move_every_run_together(open_compare):
    at = open_compare()
    at.button(key="compare.step").click().run()
    at.button(key="compare.epoch").click().run()
    assert [run.step for run in comparison(at).runs] == [11, 11]
    at.button(key="compare.reset").click().run()
    assert [run.step for run in comparison(at).runs] == [0, 0]


def test_play_trains_all_runs_in_lock_step_on_each_tick(open_compare):
    at = open_compare()
    at.button(key="compare.play").click().run()
    at.run()
    steps = [run.step for run in comparison(at).runs]
    assert steps[0] > 0 and len(set(steps)) == 1


def test_choosing_what_to_vary_rebuilds_the_runs_and_the_link_follows(open_compare):
    at = open_compare()
    at.selectbox(key="compare.field").set_value("optimizer").run()
    at.multiselect(key="compare.values").set_value(["sgd", "momentum", "adam"]).run()
    assert [run.config.optimizer for run in comparison(at).runs] == ["sgd", "momentum", "adam"]
    assert not at.exception
    assert (at.query_params["vary"], at.query_params["values"]) == ("optimizer", "sgd|momentum|adam")
    at.segmented_control(key="compare.align").set_value("epochs").run()
    assert at.query_params["align"] == "epochs" and at.query_params["lang"] == "en"  # the app's own kept


def test_one_value_is_not_a_comparison_and_says_so(open_compare):
    at = open_compare()
    at.multiselect(key="compare.values").set_value("relu").run()
    assert any("2 to 4" in error.value for error in at.error)


def test_a_link_opens_with_its_base_and_its_variation(open_compare):
    at = open_compare({"dataset": "xor", "vary": "hidden_sizes", "values": "|4"})
    assert [run.config.hidden_sizes for run in comparison(at).runs] == [(), (4,)]
    assert all(run.config.dataset == "xor" for run in comparison(at).runs)
    assert at.selectbox(key="compare.field").value == "hidden_sizes"
    assert at.multiselect(key="compare.values").value == ["", "4"]
    assert at.selectbox(key="cfg.dataset").value == "xor"
    assert warnings(at) == []
    assert at.query_params["values"] == "|4"


def test_a_link_value_the_lists_do_not_offer_is_offered_too(open_compare):
    at = open_compare({"vary": "learning_rate", "values": "0.05|0.5", "optimizer": "sgd"})
    assert [run.config.learning_rate for run in comparison(at).runs] == [0.05, 0.5]
    assert at.multiselect(key="compare.values").value == ["0.05", "0.5"]


def test_bad_link_values_give_warnings_in_the_pages_language(open_compare):
    at = open_compare({"vary": "colour", "values": "red|blue", "seeds": "3"}, lang="ko")
    shown = warnings(at)
    assert len(shown) == 2 and all(warning.startswith("링크 (link):") for warning in shown)
    assert "colour" in shown[0] and "seeds" in shown[1]
    assert [run.config.activation for run in comparison(at).runs] == ["sigmoid", "relu"]
    assert "seeds" not in at.query_params and "vary" not in at.query_params  # the link now holds what runs


def test_link_warnings_go_once_the_student_changes_a_setting(open_compare):
    at = open_compare({"vary": "activation", "values": "relu|swish|tanh"})
    assert len(warnings(at)) == 1 and "swish" in warnings(at)[0]
    assert [run.config.activation for run in comparison(at).runs] == ["relu", "tanh"]
    at.select_slider(key="compare.seeds").set_value(4).run()
    assert warnings(at) == []


def test_a_link_to_image_data_compares_on_2d_data_and_says_so(open_compare):
    at = open_compare({"dataset": "mnist", "model": "softmax", "vary": "optimizer", "values": "sgd|adam"})
    assert len(warnings(at)) == 1 and "2D" in warnings(at)[0]
    default = RunConfig().dataset
    assert [(run.config.dataset, run.config.optimizer) for run in comparison(at).runs] == [(default, "sgd"),
                                                                                          (default, "adam")]


def test_base_settings_come_from_the_sidebar_and_the_link(open_compare):
    at = open_compare({"dataset": "spirals", "hidden_sizes": "8,8"})
    assert all(run.config.dataset == "spirals" and run.config.hidden_sizes == (8, 8) for run in comparison(at).runs)
    assert at.query_params["dataset"] == "spirals"


def test_several_seeds_per_run_show_their_spread(open_compare):
    at = open_compare()
    at.select_slider(key="compare.seeds").set_value(8).run()
    at.button(key="compare.epoch").click().run()
    assert [s.n_seeds for s in comparison(at).seed_runs] == [8, 8]
    assert [s.step for s in comparison(at).seed_runs] == [10, 10]
    assert not at.exception
    assert "compare.seeds_band" in {chart.key for chart in at.get("plotly_chart")}
    assert at.query_params["seeds"] == "8"


def test_varying_a_setting_offers_the_base_value_even_when_unusual(open_compare):
    at = open_compare({"hidden_sizes": "5,3"})
    at.selectbox(key="compare.field").set_value("hidden_sizes").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [run.config.hidden_sizes for run in comparison(at).runs] == [(5, 3), ()]


def test_batch_sizes_kept_together_by_epochs_plot_against_epochs(open_compare):
    at = open_compare({"dataset": "xor", "vary": "batch_size", "values": "10|full", "align": "epochs"})
    assert at.segmented_control(key="compare.align").value == "epochs"
    at.button(key="compare.epoch").click().run()
    at.button(key="compare.epoch").click().run()
    runs = comparison(at).runs
    assert [run.epoch for run in runs] == [2.0, 2.0] and [run.step for run in runs] == [20, 2]
    assert chart(at, "compare.loss")["layout"]["xaxis"]["title"]["text"] == "epoch"
    assert any(caption.value == "Epoch 2.00" for caption in at.caption)
    at.button(key="compare.step").click().run()  # one step of the batch-10 run; full batch waits for a whole epoch
    assert [run.step for run in comparison(at).runs] == [21, 2]


def test_settings_survive_a_visit_to_another_page(open_compare):
    at = open_compare({"dataset": "xor", "vary": "hidden_sizes", "values": "|4", "align": "epochs"})
    at.switch_page("views/race.py").run()
    at.switch_page("views/compare.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="compare.values").value == ["", "4"]
    assert at.segmented_control(key="compare.align").value == "epochs"
    assert at.selectbox(key="cfg.dataset").value == "xor"
    assert (at.query_params["vary"], at.query_params["align"]) == ("hidden_sizes", "epochs")


def test_a_lesson_loads_its_link_over_the_students_settings(open_compare):
    at = open_compare()
    at.selectbox(key="compare.field").set_value("optimizer").run()
    at.query_params.clear()
    at.query_params.update({"dataset": "moons", "vary": "batch_size", "values": "10|full", "align": "epochs"})
    at.session_state["urls.load.compare"] = True  # what lesson_panel.open_page asks for before switching here
    at.run()
    runs = comparison(at).runs
    assert [run.config.batch_size for run in runs] == [10, "full"] and runs[0].config.dataset == "moons"
    assert comparison(at).align == "epochs"


def test_a_heavy_epoch_trains_across_ticks_to_its_end_and_pause_stops_it(open_compare):
    """"+1 epoch" on many seeds of batch 1 is hundreds of lock-steps: the click only asks for
    them; each tick trains a slice of CPU time, the epoch ends exactly at 1 (not cut short),
    and Pause stops a second one at once."""
    at = open_compare({"vary": "batch_size", "values": "1|full", "seeds": "16", "n_points": "1000",
                       "hidden_sizes": "16,16"})
    kept = at.session_state["compare.state"]
    total = comparison(at).steps_for_epochs(1)
    assert total == 500
    next(b for b in at.button if b.key == "compare.epoch").click().run()
    ticks = 1
    while kept.job is not None and ticks < 500:
        assert next(b for b in at.button if b.key == "compare.play").label == "Pause"
        assert 0 < kept.job.done < total
        at.run()
        ticks += 1
    assert kept.job is None and ticks > 1, "the epoch was trained across ticks"
    assert comparison(at).step == total and comparison(at).runs[0].epoch == pytest.approx(1.0)
    next(b for b in at.button if b.key == "compare.epoch").click().run()
    at.button(key="compare.play").click().run()  # Pause
    stopped = comparison(at).step
    assert kept.job is None and stopped < 2 * total
    at.run()
    assert comparison(at).step == stopped


def test_early_stopping_against_none_stops_one_run_and_marks_it_on_the_loss_chart(open_compare):
    at = open_compare({"dataset": "circle", "n_points": "40", "noise": "0.5", "hidden_sizes": "32,32",
                       "vary": "early_stopping", "values": "0|20"})
    for _ in range(40):  # each Epoch: one more pass (2 lock-steps), trained over the ticks
        at.button(key="compare.epoch").click().run()
        for _ in range(20):
            if at.session_state["compare.state"].job is None:
                break
            at.run()
    kept, stopped = comparison(at).runs
    assert stopped.stopped_early and not kept.finished and kept.step > stopped.stopped_at
    figure = chart(at, "compare.loss")
    (line,) = [shape for shape in figure["layout"]["shapes"] if shape["type"] == "line"]
    assert line["x0"] == line["x1"] == stopped.stopped_at
    assert any(a["text"] == "Early stopping (epochs) = 20: early stop" for a in figure["layout"]["annotations"])
    (ring,) = [trace for trace in figure["data"] if trace.get("marker", {}).get("symbol") == "circle-open"]
    assert ring["x"] == [stopped.best.step] and ring["y"] == [stopped.best.test_loss]
    assert chart(at, "compare.boundary.1")["layout"]["title"]["text"].startswith(
        f"Early stopping (epochs) = 20: stopped at step {stopped.stopped_at}")
