"""A real chromium walks the Lesson tab in English and Chinese (issue 11's numbered problems) and saves
docs/lesson/*.png. The maps are drawn by the browser view; texts and tables follow from the server."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cnnattn.i18n import CHINESE_ALLOWLIST, untranslated_words
from tests.conftest import launch_chromium

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "lesson"
TIMEOUT_MS = 180_000

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(playwright):
    browser = launch_chromium(playwright)
    yield browser
    browser.close()


def open_lesson(browser, app_url, locale: str, query: str = "?example=cheetah", width: int = 1400):
    page = browser.new_page(viewport={"width": width, "height": 1100}, locale=locale)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_url + query)
    page.wait_for_function("() => window.cnnattnViews?.lesson?.draws > 0")
    page.locator("#lesson-weights [data-testid=cell-0-1]").wait_for()
    return page


def weights(page) -> list[str]:
    return page.locator("#lesson-weights [role=gridcell]").evaluate_all(
        "els => els.filter(e => +e.dataset.col > 0).map(e => e.innerText.trim())"
    )


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_english_walk(browser, app_url, example_photos):
    page = open_lesson(browser, app_url, "en-US")
    # 3: no positive weight renders as 0 (tiny ones are written 5.0×10⁻⁴).
    shown = weights(page)
    assert shown and all(not re.fullmatch(r"0(\.0+)?", cell) for cell in shown)
    # The probability shown equals the CLI's for the same photo.
    cli = subprocess.run(
        [sys.executable, "-m", "cnnattn", "explain", str(example_photos["cheetah"]), "--threads", "1"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    top = json.loads(cli.stdout.splitlines()[0])["predictions"][0]
    assert f"{top['prob']:.1%}" in page.locator("#lesson-step3-table").inner_text()
    shot(page, "01-steps-en.png")
    # Head choice redraws in the browser; the texts follow.
    page.locator("#lesson-view select[name=head]").select_option("self/0")
    page.get_by_text("compare the query with every key").wait_for()
    shot(page, "02-self-attention-en.png")
    # 1: the comparison is Grad-CAM at an earlier stage, not the class map's own scores.
    page.locator("#lesson-view select[name=head]").select_option("class")
    page.locator("#lesson-compare-box").get_by_text("Compare with Grad-CAM").click()
    page.locator("#lesson-gradcam-run").click()
    page.locator("#lesson-compare-text").get_by_text("blocks.4").wait_for()
    assert "agree by construction" not in page.locator("#lesson-compare-text").inner_text()
    # 6: the sanity check gives a verdict and its threshold.
    page.locator("#lesson-sanity-run").click()
    page.locator("#lesson-compare-text").get_by_text(re.compile("Sanity check (passed|failed)")).wait_for()
    assert re.search(r"no higher than \d\.\d\d|higher than \d\.\d\d", page.locator("#lesson-compare-text").inner_text())
    shot(page, "03-compare-sanity-en.png")
    page.close()


def test_non_image_gives_one_sentence_and_no_error_badge(browser, app_url, tmp_path):
    page = open_lesson(browser, app_url, "en-US")
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    page.locator("#lesson-photo input[type=file]").set_input_files(str(bad))
    page.locator("#lesson-notice").get_by_text("not an image cnnattn can read").wait_for()
    assert page.locator("#lesson-tab .error, #lesson-tab [class*=error]").filter(has_text="Error").count() == 0
    page.close()


def test_predict_then_reveal_scores_the_top_cell_above_the_lowest(browser, app_url):
    page = open_lesson(browser, app_url, "en-US")
    weights_now = page.evaluate("() => window.cnnattnViews.lesson.weights('class')")
    h, w = page.evaluate("() => window.cnnattnViews.lesson.payload().heads[0].grid")
    ratios = []
    for cell in (weights_now.index(max(weights_now)), weights_now.index(min(weights_now))):
        page.locator("#lesson-guess-mode input").check() if not ratios else None
        page.evaluate("() => window.cnnattnViews.lesson.setGuessing(true)")
        row, col = divmod(cell, w)
        page.evaluate(f"() => window.cnnattnViews.lesson.setQuery([{(col + 0.5) / w}, {(row + 0.5) / h}])")
        page.locator("#lesson-guess").get_by_text(f"(row {row + 1}, col {col + 1})").wait_for()
        ratios.append(float(re.search(r"([\d.]+) ×", page.locator("#lesson-guess").inner_text())[1]))
    assert ratios[0] > ratios[1]
    shot(page, "04-predict-reveal-en.png")
    page.close()


@pytest.mark.xfail(reason="issue 11 open: Latin words (simple, self, ...) remain on the Chinese page")
def test_chinese_walk_passes_the_allowlist_on_both_tabs(browser, app_url):
    page = open_lesson(browser, app_url, "zh-CN", "?example=lion")
    page.get_by_text("第 1 步").first.wait_for()
    assert "狮子" in page.locator("#lesson-step3-table").inner_text()
    shot(page, "05-steps-zh.png")
    lesson = page.locator("#lesson-tab").inner_text()
    assert untranslated_words(lesson, CHINESE_ALLOWLIST) == []
    page.get_by_role("tab", name="探索").click()
    explore = page.locator("#explore-tab").inner_text()
    assert untranslated_words(explore, CHINESE_ALLOWLIST) == []
    page.close()


def test_narrow_screen_cuts_nothing_off(browser, app_url):
    page = open_lesson(browser, app_url, "en-US", width=390)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    shot(page, "06-narrow-390-en.png")
    page.close()
