"""A real chromium walks the Lesson tab in English and Chinese and saves docs/lesson/*.png.

It opens a shared link, moves the temperature slider, clicks query cells, switches language, and
checks the numbers on the page: the weights shown sum to 1 and move the way the maths says.
"""

import re
from pathlib import Path

import pytest

from tests.conftest import launch_chromium

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "lesson"
TIMEOUT_MS = 120_000

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(playwright):
    browser = launch_chromium(playwright)
    yield browser
    browser.close()


def open_page(browser, locale: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, locale=locale)
    page.set_default_timeout(TIMEOUT_MS)
    return page


def grid(page, table: str) -> list[list[float]]:
    """The numbers of a lesson table as shown (first column holds the row labels)."""
    page.locator(f"{table} [data-testid=cell-0-1]").wait_for()
    cells = page.locator(f"{table} [role=gridcell]").evaluate_all(
        "els => els.map(e => [+e.dataset.row, +e.dataset.col, e.innerText.trim()])"
    )
    rows: dict[int, dict[int, float]] = {}
    for row, col, value in cells:
        if col > 0:
            rows.setdefault(row, {})[col] = float(value)
    return [[r[c] for c in sorted(r)] for _, r in sorted(rows.items())]


def total(values: list[list[float]]) -> float:
    return sum(map(sum, values))


def wait_for_change(page, table: str, before: list[list[float]]) -> list[list[float]]:
    """Poll until the table shows different numbers (the re-render has landed)."""
    for _ in range(TIMEOUT_MS // 250):
        now = grid(page, table)
        if now != before:
            return now
        page.wait_for_timeout(250)
    raise AssertionError(f"{table} did not change")


def readout(page) -> tuple[float, int]:
    """(exp(H), H*W) from the readout line, in either language."""
    line = page.locator("#lesson-readout").inner_text()
    effective, positions = re.search(r"exp\(H\) = ([\d.]+)\D+?(\d+)", line).groups()
    return float(effective), int(positions)


def move_slider(page, elem_id: str, fraction: float) -> None:
    """Click the slider's track at `fraction` of its width: a real pointer press and release."""
    track = page.locator(f"#{elem_id} input[type=range]")
    box = track.bounding_box()
    page.mouse.click(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)


def click_cell(page, table: str, row: int, col: int) -> None:
    page.locator(f"{table} [data-testid=cell-{row}-{col + 1}]").click()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_lesson_walkthrough_in_english(browser, app_url):
    page = open_page(browser, "en-US")
    page.goto(app_url + "?example=cheetah&head=class&t=4")
    weights = grid(page, "#lesson-weights")
    # Step 2: the weights shown are probabilities (rounded to 4 decimals, so within rounding).
    assert total(weights) == pytest.approx(1.0, abs=len(weights) * len(weights[0]) * 5e-5)
    assert "sum to 1 (here 1.0000)" in page.locator("#lesson-step2").inner_text()
    assert "cheetah" in page.locator("#lesson-step3-table").inner_text()
    effective, positions = readout(page)
    assert 1.0 <= effective < positions
    assert page.locator("#lesson-link textarea").input_value().startswith(app_url + "?view=lesson&example=cheetah")
    shot(page, "01-class-map-steps-en.png")

    # Raising the temperature flattens the weights: smaller maximum, more effective positions.
    move_slider(page, "lesson-temperature", 0.6)
    hotter = wait_for_change(page, "#lesson-weights", weights)
    assert total(hotter) == pytest.approx(1.0, abs=len(hotter) * len(hotter[0]) * 5e-5)
    assert max(map(max, hotter)) < max(map(max, weights))
    assert readout(page)[0] > effective
    temperature = float(page.locator("#lesson-temperature input[type=number]").input_value())
    assert temperature > 4
    assert f"T = {temperature:g}" in page.locator("#lesson-step2").inner_text()
    shot(page, "02-temperature-raised-en.png")

    # Clicking a cell of the scores table shows that cell's arithmetic.
    scores = grid(page, "#lesson-scores")
    click_cell(page, "#lesson-scores", 3, 5)
    page.get_by_text("Cell (row 3, col 5)").wait_for()
    cell = page.locator("#lesson-cell").inner_text()
    assert f"{hotter[3][5]:.4f}" in cell and f"{scores[3][5]:.3f}"[:-1] in cell

    # SelfAttention: pick a head, click query cells; each row of weights sums to 1 and follows the query.
    page.locator("#lesson-head input").click()
    page.get_by_role("option", name="self/").first.click()
    page.get_by_text("compare the query with every key").wait_for()
    first_row = grid(page, "#lesson-weights")
    click_cell(page, "#lesson-weights", 2, 3)
    page.get_by_text("cell i = (row 2, col 3)").wait_for()
    query_row = wait_for_change(page, "#lesson-weights", first_row)
    assert total(query_row) == pytest.approx(1.0, abs=len(query_row) * len(query_row[0]) * 5e-5)
    click_cell(page, "#lesson-weights", 6, 9)
    page.get_by_text("cell i = (row 6, col 9)").wait_for()
    other_row = wait_for_change(page, "#lesson-weights", query_row)
    assert total(other_row) == pytest.approx(1.0, abs=len(other_row) * len(other_row[0]) * 5e-5)
    assert float(page.locator("#lesson-qx input[type=number]").input_value()) == pytest.approx(9.5 / len(other_row[0]))
    shot(page, "03-query-cell-clicked-en.png")
    page.close()


def test_lesson_in_chinese_from_the_browser_language_and_the_switch(browser, app_url):
    page = open_page(browser, "zh-CN")
    page.goto(app_url + "?example=lion")
    weights = grid(page, "#lesson-weights")
    assert total(weights) == pytest.approx(1.0, abs=len(weights) * len(weights[0]) * 5e-5)
    assert "第 1 步" in page.locator("#lesson-step1").inner_text()
    assert "狮子" in page.locator("#lesson-step3-table").inner_text()  # class names in Chinese
    page.get_by_text("softmax 温度 T").first.wait_for()
    page.get_by_role("tab", name="探索").wait_for()  # the Explore tab is relabelled too
    page.get_by_text("控制项").first.wait_for(state="attached")  # and its accordion titles
    move_slider(page, "lesson-temperature", 0.02)  # the lowest temperature: sharper weights
    sharper = wait_for_change(page, "#lesson-weights", weights)
    assert max(map(max, sharper)) > max(map(max, weights))
    assert total(sharper) == pytest.approx(1.0, abs=len(sharper) * len(sharper[0]) * 5e-5)
    shot(page, "04-lesson-zh.png")

    # The in-page switch goes back to English without reloading.
    page.get_by_label("English").check()
    page.get_by_text("Step 1: score every position").wait_for()
    assert "lion" in page.locator("#lesson-step3-table").inner_text()
    page.get_by_role("tab", name="Explore").wait_for()
    page.close()


@pytest.mark.slow
def test_grad_cam_sanity_check_and_occlusion_panels(browser, app_url):
    page = open_page(browser, "en-US")
    page.goto(app_url + "?example=cheetah")
    grid(page, "#lesson-weights")
    page.get_by_text("Compare with Grad-CAM and sanity check").click()
    page.locator("#lesson-gradcam-run").click()
    page.get_by_text("Agreement with Grad-CAM for cheetah").wait_for()
    agreement = page.locator("#lesson-compare-text").inner_text()
    rho = float(re.search(r"Spearman rank correlation (-?[\d.]+)", agreement)[1])
    assert rho > 0.3  # the class map and Grad-CAM both find the cheetah
    shot(page, "05-grad-cam-en.png")
    page.locator("#lesson-sanity-run").click()
    page.locator("#lesson-compare-text").get_by_text("Sanity check:").wait_for()
    randomised = page.locator("#lesson-compare-text").inner_text()
    assert float(re.search(r"one is (-?\d+\.\d+)", randomised)[1]) < 0.9  # random weights, a different map
    page.get_by_text("Occlusion: cover what the head looks at").click()
    move_slider(page, "lesson-cover", 0.99)  # cover the cells holding 95% of the class map's weight
    page.locator("#lesson-occlude-run").click()
    page.get_by_text("goes from").wait_for()
    occluded = page.locator("#lesson-occlusion-text").inner_text()
    before, after = re.search(r"goes from ([\d.]+)% to ([\d.]+)%", occluded).groups()
    assert float(after) < float(before) / 2  # covering where the class map looks lowers the class
    page.locator("#lesson-deletion-run").click()
    page.locator("#lesson-deletion img").wait_for()
    shot(page, "06-occlusion-deletion-en.png")
    page.close()


@pytest.mark.slow
def test_webcam_live_mode_and_freeze_frame(playwright, app_url):
    """Chromium's synthetic camera streams frames; the live class map appears; freezing one starts a lesson."""
    camera = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    browser = launch_chromium(playwright, camera)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1100}, permissions=["camera"])
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(app_url + "?view=lesson")
        page.get_by_text("Webcam live mode").click()
        page.get_by_text("Click to Access Webcam").click()
        page.locator("#lesson-webcam button[aria-label='capture photo']").click()  # starts streaming
        page.locator("#lesson-live img").wait_for()
        page.locator("#lesson-freeze").click()
        page.get_by_text("Step 1: score every position").wait_for()
        weights = grid(page, "#lesson-weights")
        assert total(weights) == pytest.approx(1.0, abs=len(weights) * len(weights[0]) * 5e-5)
        shot(page, "07-webcam-freeze-en.png")
    finally:
        browser.close()
