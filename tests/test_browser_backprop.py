"""Backprop by hand in a real Chromium: step through the course's worked example."""

from playwright.sync_api import expect, sync_playwright

from tests.serve import CHROMIUM, CHROMIUM_ARGS, running_app


def test_stepping_through_the_worked_example_shows_the_course_numbers():
    with running_app() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{url}/backprop?lang=en")
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
        browser.close()
