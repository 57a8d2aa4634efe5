"""The optimizer race in a real Chromium: play it to the end, then click to start elsewhere."""

import re

from playwright.sync_api import expect


def test_race_plays_to_the_end_and_a_click_on_the_plot_moves_the_start(open_tab, app_url):
    page = open_tab(f"{app_url}/race", 1400, 1100)
    expect(page.get_by_text("Paths over the loss surface")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_text("Step 0 of 100")).to_have_count(0, timeout=30_000)  # the race is moving
    page.get_by_role("button", name="Show all steps").click()
    expect(page.get_by_text("Step 100 of 100")).to_be_visible(timeout=30_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(2, timeout=30_000)
    x_before = page.get_by_label("x", exact=True).input_value()
    plot = page.locator(".js-plotly-plot").first.locator(".nsewdrag").first
    plot.wait_for(state="visible", timeout=30_000)
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2)
    expect(page.get_by_label("x", exact=True)).not_to_have_value(x_before, timeout=30_000)
    expect(page).to_have_url(re.compile(r"[?&]x=.*&y="), timeout=30_000)  # the link follows the new start
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_korean_link_opens_its_race(open_tab, app_url):
    page = open_tab(f"{app_url}/race?lang=ko&surface=rosenbrock&opt=sgd,adam", 1400, 1100)
    expect(page.get_by_text("손실 곡면 (loss surface) 위의 경로 (로그 손실의 등고선)")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("모든 옵티마이저 (optimizer)가 스무 스텝 안에")).to_be_visible()
    expect(page.get_by_text("스텝 0 / 400", exact=True)).to_be_visible()
    paths = page.locator(".js-plotly-plot").first
    expect(paths.locator(".legendtext")).to_have_text(["SGD", "Adam", "출발점", "최솟값 (minimum)"])
    assert page.locator('[data-testid="stException"]').count() == 0
