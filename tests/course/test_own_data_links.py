import numpy as np

from engine.core.own_data import encode_points
from engine.course.links import CompareLink, playground_config

DRAWN = encode_points(np.array([[-0.5, 0.5], [0.5, -0.5], [0.1, 0.2]]), np.array([0, 1, 1]), "binary")


def test_the_2d_page_link_keeps_drawn_points():
    config, warnings = playground_config({"dataset": "own", "own_points": DRAWN})
    assert warnings == [] and config.own_points == DRAWN and config.to_query() == {"dataset": "own", "own_points": DRAWN}


def test_a_broken_drawing_in_a_link_warns_and_opens_an_empty_board():
    config, warnings = playground_config({"dataset": "own", "own_points": "b!!"})
    assert config.dataset == "own" and config.own_points == ""
    assert [w.code for w in warnings] == ["invalid_setting"]


def test_compare_falls_back_to_generated_data_for_a_link_on_own_data():
    link, warnings = CompareLink.from_query({"dataset": "own", "own_points": DRAWN, "hidden_sizes": "8"})
    assert link.base.dataset == "xor" and link.base.own_points == "" and link.base.hidden_sizes == (8,)
    assert warnings[0].code == "compare_own_data"
