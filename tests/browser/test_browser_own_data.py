"""Your own data on the 2D page in a real Chromium: click on the plane, and each point shows in
the next frame (the page waits for each, never for a time)."""

from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from engine.core.own_data import decode_points

WAIT = 90_000  # ms; a shared classroom machine can be slow to start a session and rerun the page
# Where the live view's plane sits in its canvas (live_view.js drawBoundary: left and top margins,
# and the room its axes' labels take), in CSS pixels at scale 1.
PLANE_LEFT, PLANE_TOP, PLANE_RIGHT, PLANE_BOTTOM = 54, 10, 62, 46


def test_three_clicks_on_the_plane_draw_three_points_that_train_and_travel_in_the_link(app_url, open_tab):
    page = open_tab(f"{app_url}/playground?dataset=own&lang=en")
    page.wait_for_function("window.__playgroundPoints === 0 && window.__playgroundStep === 0", timeout=WAIT)
    expect(page.get_by_text("Add at least 2 points")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("button", name="Play")).to_be_disabled()
    plane = page.locator("canvas.boundary")
    assert plane.evaluate("canvas => getComputedStyle(canvas).cursor") == "crosshair"
    box = plane.bounding_box()
    size = min(box["width"] - PLANE_RIGHT, box["height"] - PLANE_BOTTOM)

    for n, (u, v) in enumerate([(0.25, 0.25), (0.75, 0.75), (0.7, 0.3)], start=1):
        plane.click(position={"x": PLANE_LEFT + u * size, "y": PLANE_TOP + (1 - v) * size})
        page.wait_for_function(f"window.__playgroundPoints === {n}", timeout=WAIT)

    expect(page.get_by_role("button", name="Play")).to_be_enabled(timeout=WAIT)
    page.wait_for_function("new URLSearchParams(location.search).has('own_points')", timeout=WAIT)
    x, _, n_classes = decode_points(parse_qs(urlparse(page.url).query)["own_points"][0])
    assert n_classes == 2 and len(x) == 3
    # Each point landed where it was clicked: the plane frames [-1.2, 1.2] (the square and its margin).
    expected = sorted((round(-1.2 + 2.4 * u, 1), round(-1.2 + 2.4 * v, 1)) for u, v in [(0.25, 0.25), (0.75, 0.75), (0.7, 0.3)])
    assert sorted((round(a, 1), round(b, 1)) for a, b in x.tolist()) == expected
    assert page.locator('[data-testid="stException"]').count() == 0
