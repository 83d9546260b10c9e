"""A real chromium walks the Lesson tab in English and Chinese (issue 11's numbered problems) and saves
docs/lesson/*.png. The maps and every step text and table follow the view's head, temperature and query
in the browser with no request (static/lesson/)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnattn.i18n import CHINESE_ALLOWLIST, untranslated_words
from cnnattn.lesson.tables import format_weight, softmax64

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "lesson"
TIMEOUT_MS = 180_000
# The lesson view keeps every head's figure and hides all but the chosen one.
SHOWN_CANVAS = "#lesson-view figure:not([hidden]) .cv-frame canvas"

pytestmark = pytest.mark.browser


def open_lesson(browser, app_url, locale: str, query: str = "?example=cheetah", width: int = 1400):
    page = browser.new_page(viewport={"width": width, "height": 1100}, locale=locale)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_url + query)
    page.wait_for_function("() => window.cnnattn?.view('lesson')?.draws > 0")
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
    weights_now = page.evaluate("() => window.cnnattn.view('lesson').weights('class')")
    h, w = page.evaluate("() => window.cnnattn.view('lesson').payload().heads[0].grid")
    ratios = []
    for cell in (weights_now.index(max(weights_now)), weights_now.index(min(weights_now))):
        page.locator("#lesson-guess-mode input").check() if not ratios else None
        page.evaluate("() => window.cnnattn.view('lesson').setGuessing(true)")
        row, col = divmod(cell, w)
        page.evaluate(f"() => window.cnnattn.view('lesson').setQuery([{(col + 0.5) / w}, {(row + 0.5) / h}])")
        page.locator("#lesson-guess").get_by_text(f"(row {row + 1}, col {col + 1})").wait_for()
        ratios.append(float(re.search(r"([\d.]+) ×", page.locator("#lesson-guess").inner_text())[1]))
    assert ratios[0] > ratios[1]
    shot(page, "04-predict-reveal-en.png")
    page.close()


def shown_words(page, selector: str) -> list[str]:
    """Latin words a visitor reads inside `selector`, formulas left out (KaTeX's rendered maths, like the
    $...$ that untranslated_words drops from source text)."""
    shown = page.locator(selector).evaluate(
        """(root) => { const copy = root.cloneNode(true); copy.querySelectorAll('.katex').forEach((m) => m.remove());
                       document.body.appendChild(copy); const text = copy.innerText; copy.remove(); return text; }"""
    )
    return untranslated_words(shown, CHINESE_ALLOWLIST)


def test_chinese_walk_passes_the_allowlist_on_both_tabs(browser, app_url, example_photos):
    page = open_lesson(browser, app_url, "zh-CN", "?example=lion")
    page.get_by_text("第 1 步").first.wait_for()
    assert "狮子" in page.locator("#lesson-step3-table").inner_text()
    shot(page, "05-steps-zh.png")
    steps_2_3 = [page.locator(sel).bounding_box() for sel in ("#lesson-step2", "#lesson-step3-table")]
    page.screenshot(path=str(SHOTS / "07-steps-2-3-zh.png"), full_page=True, clip={
        "x": 0, "y": steps_2_3[0]["y"] - 8, "width": 1400,
        "height": steps_2_3[1]["y"] + steps_2_3[1]["height"] - steps_2_3[0]["y"] + 16,
    })  # fmt: skip
    assert shown_words(page, "#lesson-tab") == []
    page.get_by_role("tab", name="探索").click()
    page.locator("#photo input[type=file]").set_input_files(str(example_photos["cheetah"]))
    page.wait_for_function("() => window.cnnattn?.view('explore')?.payload()?.language === 'zh'")
    page.locator("#notes").get_by_text("温度缩放").wait_for()
    assert shown_words(page, "#explore-tab") == []
    page.close()


def test_narrow_screen_cuts_nothing_off(browser, app_url):
    page = open_lesson(browser, app_url, "en-US", width=390)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    shot(page, "06-narrow-390-en.png")
    page.close()


def test_occlusion_and_deletion_give_their_result_and_one_line_explanation(browser, app_url):
    page = open_lesson(browser, app_url, "en-US")
    page.locator("#lesson-occlusion-box").get_by_text("Occlusion: cover what the head looks at").click()
    page.locator("#lesson-occlude-run").click()
    occlusion = page.locator("#lesson-occlusion-text")
    occlusion.get_by_text(re.compile("Covering them (lowered|raised)|Hardly any change")).wait_for()
    page.locator("#lesson-occluded img").wait_for()
    page.locator("#lesson-deletion-run").click()
    deletion = page.locator("#lesson-deletion-text")
    deletion.get_by_text("Each point covers more grid cells").wait_for()
    assert re.search(r"Covering by attention hurts (sooner|later)|than covering at random", deletion.inner_text())
    page.locator("#lesson-deletion img").wait_for()
    shot(page, "08-occlusion-deletion-en.png")
    page.close()


def test_keyboard_only_moves_the_query_and_presses_buttons(browser, app_url):
    page = open_lesson(browser, app_url, "en-US")
    page.locator("#lesson-view select[name=head]").select_option("self/0")
    page.get_by_text("compare the query with every key").wait_for()
    before = page.evaluate("() => window.cnnattn.view('lesson').settings().query")
    canvas = page.locator(SHOWN_CANVAS)
    canvas.focus()
    for key in ("ArrowRight", "ArrowRight", "ArrowDown"):
        page.keyboard.press(key)
    after = page.evaluate("() => window.cnnattn.view('lesson').settings().query")
    assert after[0] > before[0] and after[1] > before[1]
    page.locator("#lesson-compare-box button").first.focus()  # the accordion's own button
    page.keyboard.press("Enter")
    page.locator("#lesson-gradcam-run").focus()
    page.keyboard.press("Enter")
    page.locator("#lesson-compare-text").get_by_text("blocks.4").wait_for()
    page.close()


def test_view_controls_redraw_the_lesson_map_with_no_request(browser, app_url):
    """Colour controls, head, temperature, query (arrow key) and a predict-then-reveal guess redraw the map
    and rewrite the step texts and tables in the browser: no request at all, even a second later."""
    page = open_lesson(browser, app_url, "en-US")
    sent = []
    page.on("request", lambda request: sent.append(request.url) if "/gradio_api/" in request.url else None)

    def set_range(name: str, value: float):
        page.locator(f"#lesson-view input[name={name}]").evaluate(
            "(node, v) => { node.value = v; node.dispatchEvent(new Event('input', {bubbles: true})); "
            "node.dispatchEvent(new Event('change', {bubbles: true})); }",
            value,
        )

    def redrawn(act) -> None:
        draws = page.evaluate("() => window.cnnattn.view('lesson').draws")
        act()
        page.wait_for_function(f"() => window.cnnattn.view('lesson').draws > {draws}")

    for act in (
        lambda: page.locator("#lesson-view select[name=colormap]").select_option("turbo"),
        lambda: page.locator("#lesson-view select[name=mode]").select_option("per_map"),
        lambda: set_range("opacity", 0.8),
    ):
        redrawn(act)

    def step3() -> list[str]:
        return page.locator("#lesson-step3-table [role=gridcell]").evaluate_all("els => els.map(e => e.innerText)")

    def texts_written(act, where: str, wait_for: str) -> None:
        """The act redraws the map, then the step texts are rewritten on the page (`where` shows `wait_for`)."""
        writes = page.evaluate("() => window.cnnattnLessonTexts.writes")
        redrawn(act)
        page.wait_for_function(f"() => window.cnnattnLessonTexts.writes > {writes}")
        page.locator(where).get_by_text(wait_for).wait_for()

    before = weights(page)
    texts_written(lambda: set_range("class_temperature", 2), "#lesson-step2", "T = 2,")
    at_two = weights(page)
    assert at_two != before
    texts_written(
        lambda: page.locator("#lesson-view select[name=head]").select_option("self/0"), "#lesson-cell", "Cell j"
    )
    page.get_by_text("compare the query with every key").wait_for()
    query_col = """() => { const v = window.cnnattn.view('lesson');
      const w = v.payload().heads.find((e) => e.ids.includes('self/0')).grid[1];
      return Math.min(Math.floor(v.settings().query[0] * w), w - 1) + 1; }"""
    column = page.evaluate(query_col)
    texts_written(lambda: page.locator(SHOWN_CANVAS).press("ArrowRight"), "#lesson-cell", f"col {column + 1})")
    # Predict, then reveal: the guess is scored in the browser too.
    page.evaluate("() => window.cnnattn.view('lesson').setGuessing(true)")
    corner = "() => window.cnnattn.view('lesson').setQuery([0.01, 0.01])"
    texts_written(lambda: page.evaluate(corner), "#lesson-cell", "col 1)")
    page.locator("#lesson-guess").get_by_text("(row 1, col 1)").wait_for()
    page.wait_for_timeout(1000)  # anything sent late is counted too
    assert sent == []
    # The page shows what the browser computed: the last settings' tables and texts.
    computed = page.evaluate("() => window.cnnattnLessonTexts.compute()")
    assert weights(page) == [cell for row in computed["weights"]["data"] for cell in row[1:]]
    assert step3() == [cell for row in computed["step3"]["data"] for cell in row]
    assert page.locator("#lesson-scores").get_by_text(computed["scores"]["title"]).count() >= 1
    # The class map's weights at T = 2 as cnnattn.lesson.tables writes them (float64 softmax, format_weight).
    scores = page.evaluate("() => Array.from(window.cnnattn.view('lesson').payload().heads[0]._arrays.scores)")
    python = softmax64(np.asarray(scores, dtype=np.float32), 2.0)
    assert at_two == [format_weight(v) for v in python]
    page.close()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("head=self%2F2&t=2&qx=0.2&qy=0.3&cmap=viridis&alpha=0.7",
         {"head": "self/2", "head_temperature": 2, "query": [0.2, 0.3], "colormap": "viridis", "opacity": 0.7}),
        ("head=feature_self&layer=blocks.4&qx=0.8&qy=0.1", {"head": "feature_self", "query": [0.8, 0.1]}),
    ],
)  # fmt: skip
def test_a_link_reopens_its_view(browser, app_url, query, expected):
    """Every setting a link carries is the one the page opens on, and the page's own link says so again."""
    page = open_lesson(browser, app_url, "en-US", f"?view=lesson&example=cheetah&{query}")
    try:
        view = page.evaluate("() => window.cnnattn.view('lesson').settings()")
        shown = {name: view[name] for name in expected if name != "query"}
        assert shown == {name: value for name, value in expected.items() if name != "query"}
        assert view["query"] == pytest.approx(expected["query"])
        if "layer=" in query:
            assert page.evaluate("() => window.cnnattn.view('lesson').payload().layer") == "blocks.4"
        link = page.locator("#lesson-link textarea").input_value()
        assert all(part in link for part in query.split("&") if not part.startswith("q"))  # qx, qy: 3 places
    finally:
        page.close()


def test_the_map_and_the_steps_name_the_same_query_cell(browser, app_url):
    """The map's caption and the step texts count rows and columns the same way (from 1); the class
    dropdown shows for the class map only."""
    page = open_lesson(browser, app_url, "en-US")
    try:
        page.locator("#lesson-view select[name=head]").select_option("self/0")
        page.locator(SHOWN_CANVAS).press("ArrowDown")
        page.locator("#lesson-step1").get_by_text("cell i").wait_for()
        cell = re.compile(r"\(row \d+, col \d+\)")
        caption = cell.search(page.locator("#lesson-view figure.cv-map:not([hidden]) figcaption").inner_text())
        step1 = cell.search(page.locator("#lesson-step1").inner_text())
        assert caption and step1 and caption.group() == step1.group()
        page.locator("#lesson-class").wait_for(state="hidden")  # the class only matters to the class map
        page.locator("#lesson-view select[name=head]").select_option("class")
        page.locator("#lesson-class").wait_for(state="visible")
    finally:
        page.close()
