"""Issue 19, item 1: the attention view runs without gradio. A plain HTML page (the page's one script, the
view's CSS and two host elements; no gradio, no server) shows two views side by side, each made by
window.cnnattn.createView with its own options, payload and event listener. Driven in chromium, each keeps
its own state: a control, a click or a key in one changes nothing in the other, each view's weights are
Python's, and events come out of the view that had them."""

import numpy as np
import pytest

from cnnattn import load_image
from cnnattn.payload import build_payload, weights_from_payload
from cnnattn.webapp.scripts import page_script
from cnnattn.webapp.view import static_text, view_options
from tests.browser_helpers import TIMEOUT_MS

pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Two attention views, no gradio</title>
<style>{css}
main {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }}</style>
<script>{script}</script></head>
<body><main><section id="left"><div class="cv-root"></div></section>
<section id="right"><div class="cv-root"></div></section></main></body></html>"""

# Each side: its view (window.views[side]) and the events it emitted (window.events[side]).
CREATE = """([options, payloads]) => {
  window.views = {}; window.events = {};
  for (const side of ["left", "right"]) {
    window.events[side] = [];
    const host = document.getElementById(side);
    window.views[side] = window.cnnattn.createView(host, options[side], (kind) => window.events[side].push(kind));
    window.views[side].load(payloads[side]);
  }
}"""
SETTLED = "() => ['left', 'right'].every((side) => views[side].draws > 0 && views[side].pending() === 0)"


def canvas_data(page, side: str, head: str) -> str:
    return page.evaluate(
        "([side, head]) => document.querySelector(`#${side} [data-head='${head}'] canvas[role=img]`).toDataURL()",
        [side, head],
    )


def state(page, side: str) -> dict:
    return page.evaluate("(side) => ({...views[side].settings(), draws: views[side].draws})", side)


@pytest.fixture(scope="module")
def payloads(explainer, example_photos):
    """The cheetah on the left, the lion on the right (English, as build_payload writes them)."""
    answers = {}
    for side, name in (("left", "cheetah"), ("right", "lion")):
        photo = load_image(example_photos[name])
        answers[side] = build_payload(explainer, photo, explainer.encode(photo))
    return answers


@pytest.fixture
def page(browser, explainer, payloads):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.set_content(PAGE.format(css=static_text("view/view.css"), script=page_script()))
    temperatures = explainer.temperatures()
    options = {"left": view_options(temperatures), "right": view_options(temperatures, notify=True)}
    page.evaluate(CREATE, [options, payloads])
    page.evaluate("() => { views.left.flush(); views.right.flush(); }")
    page.wait_for_function(SETTLED)
    yield page
    assert not errors, errors
    page.close()


def python_weights(payload: dict, head: str, temperature: float, query) -> np.ndarray:
    entry = next(e for e in payload["heads"] if head in e["ids"])
    return weights_from_payload(entry, entry["ids"].index(head), temperature, tuple(query)).ravel()


def test_two_views_side_by_side_each_with_its_own_answer(page, payloads):
    assert not page.evaluate("() => 'cnnattnViews' in window || 'gradio_config' in window")
    for side in ("left", "right"):
        heads = [h for entry in payloads[side]["heads"] for h in entry["ids"]]
        shown = page.locator(f"#{side} figure.cv-map").evaluate_all("(nodes) => nodes.map((n) => n.dataset.head)")
        assert shown == heads
        assert page.evaluate("(side) => views[side].payload().photo.jpeg", side) == payloads[side]["photo"]["jpeg"]
    left, right = (page.locator(f"#{side} .cv-maps").bounding_box() for side in ("left", "right"))
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 1


def test_a_control_in_one_view_changes_nothing_in_the_other(page):
    right_before, right_pixels = state(page, "right"), canvas_data(page, "right", "class")
    left_pixels = canvas_data(page, "left", "class")
    page.locator("#left select[name=colormap]").select_option("viridis")
    page.locator("#left input[name=opacity]").fill("0.8")
    page.wait_for_function("() => views.left.settings().opacity === 0.8")
    page.evaluate("() => views.left.flush()")
    assert (state(page, "left")["colormap"], state(page, "left")["opacity"]) == ("viridis", 0.8)
    assert canvas_data(page, "left", "class") != left_pixels
    assert state(page, "right") == right_before and canvas_data(page, "right", "class") == right_pixels
    assert page.evaluate("() => [events.left, events.right]") == [[], []]  # drawing settings are not events


def test_clicks_and_keys_move_one_views_query_and_its_weights_are_pythons(page, payloads):
    left_before = state(page, "left")
    canvas = page.locator("#right [data-head='self/0'] canvas[role=img]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] * 0.1, "y": box["height"] * 0.9})
    page.wait_for_function("() => events.right.length === 1")
    query = state(page, "right")["query"]
    assert query[0] < 0.15 and query[1] > 0.85
    canvas.press("ArrowRight")
    page.wait_for_function("() => events.right.length === 2")
    h, w = next(e["grid"] for e in payloads["right"]["heads"] if "self/0" in e["ids"])
    moved = state(page, "right")["query"]
    assert moved[0] > query[0] and moved == [(int(query[0] * w) + 1.5) / w, (int(query[1] * h) + 0.5) / h]
    assert page.evaluate("() => events") == {"left": [], "right": ["input", "input"]}
    assert state(page, "left") == left_before  # the other view's query and drawing stay as they were
    for side, query_shown in (("right", moved), ("left", left_before["query"])):
        shown = page.evaluate("(side) => views[side].weights('self/0')", side)
        np.testing.assert_allclose(shown, python_weights(payloads[side], "self/0", 1.0, query_shown), atol=1e-6)
