"""The lesson's step texts and tables written in a real chromium (static/lesson/) equal what
Python's `lesson_answer` writes for the same photo and settings, in English and Chinese: words exactly,
numbers within one unit of their last digit (float32 in one place, float64 in the other)."""

import re

import pytest

from cnnattn.lesson.answer import LessonSettings, lesson_answer
from cnnattn.lesson.links import link_note, link_params
from cnnattn.pipeline import Pipeline

pytestmark = pytest.mark.browser
NUMBER = re.compile(r"(\d+(?:\.\d+)?)")
# (head, temperature, query): the class map at three temperatures (at 0.5 the corner cell's weight is about
# 10⁻³⁵: words, and the exact number in <details>), a SimpleAttention head (on and off the slider's 0.1
# steps), a SelfAttention head at two queries, the feature self-attention.
SETTINGS = [
    ("class", 4.0, (0.5, 0.5)),
    ("class", 2.5, (0.2, 0.7)),
    ("class", 0.5, (0.02, 0.02)),
    ("simple/0", 1.0, (0.5, 0.5)),
    ("simple/1", 0.3, (0.9, 0.1)),
    ("self/0", 1.0, (0.5, 0.5)),
    ("self/0", 1.0, (0.1, 0.8)),
    ("feature_self", 1.0, (0.3, 0.6)),
]


def same(browser_text: str, python_text: str) -> bool:
    """Equal words, and numbers that differ by at most one unit of their last shown digit."""
    ours, theirs = NUMBER.split(browser_text), NUMBER.split(python_text)
    if len(ours) != len(theirs):
        return False
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        if i % 2 == 0 and a != b:
            return False
        places = len(b.partition(".")[2])
        if i % 2 == 1 and (len(a.partition(".")[2]) != places or abs(float(a) - float(b)) > 1.0001 * 10**-places):
            return False
    return True


def python_texts(view, settings: LessonSettings, example: str) -> dict:
    tables = {
        name: {"headers": table.headers, "data": table.rows, "title": table.title}
        for name, table in (("scores", view.scores), ("weights", view.weights), ("step3", view.step3))
    }
    return {
        "head": view.head_text, "steps": list(view.step_texts), "cell": view.cell_text,
        "readout": view.readout_text, "link": f"?{link_params(settings, example)}",
        "note": link_note(example, settings.language), **tables,
    }  # fmt: skip


def flat(texts: dict) -> list[tuple[str, str]]:
    """(where, string) for every string of the texts, tables cell by cell."""
    pairs = [("head", texts["head"]), ("cell", texts["cell"]), ("readout", texts["readout"])]
    pairs += [(f"step {i + 1}", step) for i, step in enumerate(texts["steps"])]
    pairs += [("link", texts["link"]), ("note", texts["note"])]
    for name in ("scores", "weights", "step3"):
        table = texts[name]
        pairs += [(f"{name} title", table["title"])] + [(f"{name} header", h) for h in table["headers"]]
        pairs += [(f"{name} row {r}", str(cell)) for r, row in enumerate(table["data"]) for cell in row]
    return pairs


@pytest.mark.parametrize(
    "locale, language, example", [("en-US", "en", "lion"), ("zh-CN", "zh", "lion"), ("en-US", "en", "cheetah")]
)  # the cheetah's grid is wider than high
def test_browser_texts_equal_pythons(browser, app_url, explainer, example_photos, locale, language, example):
    _, photo, encoded = Pipeline(explainer).encode(example_photos[example].read_bytes())
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, locale=locale)
    page.set_default_timeout(180_000)
    page.goto(f"{app_url}?example={example}")
    page.wait_for_function(f"() => window.cnnattnLessonTexts?.block()?.language === '{language}'")

    def compare(head: str, temperature: float, query: tuple[float, float], layer: str = "final") -> None:
        page.locator("#lesson-view select[name=head]").select_option(head)
        slider = "class_temperature" if head == "class" else "temperature"
        page.locator(f"#lesson-view input[name={slider}]").evaluate(
            "(node, v) => { node.value = v; node.dispatchEvent(new Event('input', {bubbles: true})); }", temperature
        )
        page.evaluate(f"() => window.cnnattn.view('lesson').setQuery([{query[0]}, {query[1]}])")
        computed = page.evaluate("() => window.cnnattnLessonTexts.compute()")
        settings = LessonSettings(head=head, temperature=temperature, query=query, language=language, layer=layer)
        calibration = explainer.calibration_temperature
        view = lesson_answer(explainer.heads, encoded, settings, calibration_temperature=calibration)
        expected = python_texts(view, settings, example)
        ours, theirs = flat(computed), flat(expected)
        assert [where for where, _ in ours] == [where for where, _ in theirs], (head, temperature, query)
        for (where, a), (_, b) in zip(ours, theirs, strict=True):
            assert same(a, b), (head, temperature, query, where, a, b)

    for head, temperature, query in SETTINGS:
        compare(head, temperature, query)
    # The feature self-attention on an earlier stage: the layer list shows (written in the browser), a
    # new layer asks the server, and the texts of its finer grid follow in the browser again.
    page.locator("#lesson-view select[name=head]").select_option("feature_self")
    page.locator("#lesson-layer input").click()
    page.get_by_role("option", name="blocks.4").click()
    page.wait_for_function("() => window.cnnattnLessonTexts.block().settings.layer === 'blocks.4'")
    compare("feature_self", 1.0, (0.7, 0.2), layer="blocks.4")
    page.locator("#lesson-view select[name=head]").select_option("class")
    page.locator("#lesson-layer").wait_for(state="hidden")  # the layer only matters to feature_self
    # gradio's Markdown keeps the "exact numbers" blocks as closed <details>, their LaTeX rendered once opened.
    exact = page.locator("#lesson-readout details")
    exact.locator("summary").click()
    exact.locator(".katex").first.wait_for()  # visible
    assert ("nats" if language == "en" else "奈特") in exact.inner_text()
    page.close()
