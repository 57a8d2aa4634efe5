"""Backprop by hand in a real Chromium: step through the course's worked example."""

from playwright.sync_api import expect


def test_stepping_through_the_worked_example_shows_the_course_numbers(open_tab, app_url):
    page = open_tab(f"{app_url}/backprop?lang=en", 1280, 1000)
    expect(page.get_by_text("Pass 1 · step 0 of 10")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Pass 1 · step 1 of 10")).to_be_visible(timeout=30_000)
    page.keyboard.press("ArrowRight")  # the presenter's clicker
    expect(page.get_by_text("Pass 1 · step 2 of 10")).to_be_visible(timeout=30_000)
    expect(page.locator(".js-plotly-plot").get_by_text("a = 0.7408")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Whole pass").click()
    expect(page.get_by_text("the loss went from 0.0336 to 0.0321")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Train again from the new weights").click()
    expect(page.get_by_text("Pass 2 · step 0 of 10")).to_be_visible(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
