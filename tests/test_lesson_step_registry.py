"""Issue 19, item 3: adding a lesson step is its maths, its templates and one registration. A toy step,
registered at run time before the app is built (with its template in an added catalogue folder), shows on
the Lesson page: the server's answer writes it, and the browser's renderer (static/lesson/texts.js) fills
it again from the lesson block when the view's head changes, with no request."""

import json
import socket

import pytest

from cnnattn import i18n
from cnnattn.heads import MapForm
from cnnattn.lesson.outputs import LessonStep, register_step, registered_steps, text_outputs, unregister_step

TIMEOUT_MS = 180_000

TOY = {"en": "Toy step: this head weighs {cells} positions.", "zh": "玩具步骤：这个头给 {cells} 个位置加权。"}


def toy_maths(head, index, encoded, settings):
    """How many positions a pooling head weighs; nothing to say about query-row heads."""
    if head.form is not MapForm.POSITION:
        return None
    _, _, h, w = encoded.features.shape
    return {"cells": h * w}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def toy_app(explainer, tmp_path_factory):
    from cnnattn.webapp import app

    folder = tmp_path_factory.mktemp("toy_catalogues")
    for language, template in TOY.items():  # the shipped catalogue and the toy's entry
        entries = dict(i18n.STRINGS[language]) | {"lesson.toy": template}
        (folder / f"{language}.json").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    i18n.add_catalogue_folder(folder)
    register_step(LessonStep(output="toy", template="lesson.toy", maths=toy_maths))
    try:
        demo = app.build_app(explainer)
        port = free_port()
        app.serve(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
        yield f"http://127.0.0.1:{port}/"
        demo.close()
    finally:
        unregister_step("toy")
        i18n.remove_catalogue_folder(folder)


def test_a_step_is_one_registration_under_a_new_name():
    with pytest.raises(ValueError):
        register_step(LessonStep(output="step1", template="pool.step1", maths=toy_maths))  # a built-in's name
    register_step(LessonStep(output="other", template="pool.step1", maths=toy_maths))
    try:
        assert text_outputs()[-1] == "other" and registered_steps()[-1].output == "other"
    finally:
        unregister_step("other")
    assert "other" not in text_outputs()


@pytest.mark.browser
@pytest.mark.parametrize(("locale", "language"), [("en-US", "en"), ("zh-CN", "zh")])
def test_a_registered_toy_step_shows_in_chromium(browser, toy_app, locale, language):
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, locale=locale)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(toy_app + f"?example=cheetah&lang={language}")
    page.wait_for_function("() => window.cnnattn?.view('lesson')?.draws > 0")
    toy = page.locator("#lesson-toy")
    expected = TOY[language].split("{cells}")
    toy.get_by_text(expected[0].strip(), exact=False).wait_for()  # the server's answer (class map)
    shown = toy.inner_text()
    assert shown.startswith(expected[0].strip()) and shown.endswith(expected[1].strip()), shown
    block = page.evaluate("() => window.cnnattnLessonTexts.block()")  # the values the browser fills it from
    grid = block["steps"]["toy"]["values"]["class"]["cells"]
    assert shown == TOY[language].format(cells=grid) and block["steps"]["toy"]["values"]["self/0"] is None
    # A query-row head: the toy has nothing to say, written by the browser (no request).
    page.locator("#lesson-view select[name=head]").select_option("self/0")
    page.wait_for_function("() => document.querySelector('#lesson-toy').innerText.trim() === ''")
    # Back to the class map: the browser fills the template again from the lesson block.
    page.locator("#lesson-view select[name=head]").select_option("class")
    again = json.dumps(TOY[language].format(cells=grid), ensure_ascii=False)
    page.wait_for_function(f"() => document.querySelector('#lesson-toy').innerText.trim() === {again}")
    page.close()
