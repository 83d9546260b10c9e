"""A real chromium uploads a photo, waits for the heatmaps and saves the README screenshot."""

from pathlib import Path

import pytest

from tests.conftest import launch_chromium

DOCS = Path(__file__).resolve().parents[1] / "docs"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(playwright):
    browser = launch_chromium(playwright)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    yield page
    browser.close()


def test_upload_shows_predictions_and_heatmaps(page, app_url, example_photos):
    page.goto(app_url)
    page.locator("#photo input[type=file]").set_input_files(str(example_photos["cheetah"]))
    maps = page.locator("#maps img")
    maps.first.wait_for(state="visible", timeout=120_000)
    page.locator("#predictions").get_by_text("cheetah").first.wait_for(timeout=60_000)
    assert maps.count() >= 1
    # The heatmap really loaded: the browser decoded pixels for it.
    width = maps.first.evaluate("img => img.complete ? img.naturalWidth : 0")
    assert width > 100
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "screenshot.png"), full_page=True)
