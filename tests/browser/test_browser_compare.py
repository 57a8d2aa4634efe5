"""The Compare page in a real Chromium: press Play, see both runs train side by side."""

import re

from playwright.sync_api import expect


def test_compare_plays_both_runs_and_shows_their_charts(open_tab, app_url):
    page = open_tab(f"{app_url}/compare?dataset=circle&hidden_sizes=8,8,8,8", 1400, 1100)
    expect(page.get_by_text("Activation = ReLU: test").first).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_text("Step 0", exact=True)).to_have_count(0, timeout=30_000)
    page.get_by_role("button", name="Pause").click()
    assert page.locator(".js-plotly-plot").count() >= 5  # two boundaries, the loss, two gradient charts
    # .first: while a fragment redraws, the old chart can still be on the page beside the new one
    expect(page.get_by_text("Loss: train (solid) and test (dashed)").first).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_korean_link_keeps_batch_sizes_together_by_epochs(open_tab, app_url):
    page = open_tab(f"{app_url}/compare?lang=ko&dataset=xor&vary=batch_size&values=10%7Cfull&align=epochs", 1400, 1100)
    expect(page.get_by_role("heading", name="비교 (Compare)")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("에폭 0.00", exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("배치 크기 (batch size) = full: 테스트").first).to_be_visible(timeout=30_000)
    expect(page.locator(".js-plotly-plot .xtitle", has_text="에폭 (epoch)")).to_have_count(1, timeout=30_000)
    page.get_by_role("button", name="+1 에폭 (epoch)").click()
    expect(page.get_by_text("에폭 1.00", exact=True)).to_be_visible(timeout=30_000)
    page.get_by_role("radio", name="스텝 (step)").click()  # keep the runs together by steps instead
    expect(page).to_have_url(re.compile(r"^(?!.*align=epochs).*lang=ko"), timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_space_plays_and_pauses_compare_and_the_right_arrow_steps(open_tab, app_url):
    page = open_tab(f"{app_url}/compare?dataset=xor&hidden_sizes=4&lang=en", 1400, 1100)
    expect(page.get_by_text("Step 0", exact=True)).to_be_visible(timeout=60_000)
    # The whole page drawn (its last chart): a key pressed while the page still runs can be lost, as a click can.
    expect(page.get_by_text("Loss: train (solid) and test (dashed)").first).to_be_visible(timeout=60_000)
    page.get_by_role("heading", name="Compare").click()  # the page has the focus, no field
    page.keyboard.press("ArrowRight")
    expect(page.get_by_text("Step 1", exact=True)).to_be_visible(timeout=60_000)
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Pause")).to_be_visible(timeout=60_000)
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
