"""The Compare page in a real Chromium: press Play, see both runs train side by side."""

from playwright.sync_api import expect, sync_playwright

from tests.serve import CHROMIUM, CHROMIUM_ARGS, running_app


def test_compare_plays_both_runs_and_shows_their_charts():
    with running_app() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(f"{url}/compare?dataset=circle&hidden_sizes=8,8,8,8")
        expect(page.get_by_text("activation = relu: test").first).to_be_visible(timeout=60_000)
        page.get_by_role("button", name="Play").click()
        expect(page.get_by_text("Step 0 ·")).to_have_count(0, timeout=30_000)
        page.get_by_role("button", name="Pause").click()
        assert page.locator(".js-plotly-plot").count() >= 5  # two boundaries, the loss, two gradient charts
        expect(page.get_by_text("Loss: train (solid) and test (dashed)")).to_be_visible()
        assert page.locator('[data-testid="stException"]').count() == 0
        browser.close()
