"""A language added at run time is on the page: the pseudo-language of conftest.py (every English string
wrapped as [[...]]) added through the catalogue hook before the app is built, chosen in the page's
language switch in a real chromium, words the tabs, the buttons, the view's own controls and, after an
example, the lesson's explanations; the class names, which it lacks, stay English."""

import pytest

from .conftest import _free_port

pytestmark = pytest.mark.browser
TIMEOUT_MS = 90_000
LESSON = "window.cnnattn.view('lesson')"


@pytest.fixture(scope="module")
def pseudo_app_url(explainer, pseudo_language):
    """The real app, built and launched once the pseudo-language is added (as conftest's app_url)."""
    from cnnattn.webapp import app

    demo = app.build_app(explainer)
    port = _free_port()
    app.serve(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_the_pseudo_language_chosen_on_the_page_words_it(browser, pseudo_app_url, pseudo_language):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page.set_default_timeout(TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(pseudo_app_url)
    page.wait_for_function("() => window.cnnattnPage && window.cnnattn?.view('explore')")
    page.locator("#language").get_by_text("Pseudo", exact=True).click()
    page.wait_for_function(f"() => document.documentElement.dataset.cnnattnLanguage === '{pseudo_language}'")

    page.get_by_role("tab", name="[[Explore]]").wait_for()
    assert page.locator("#explain").inner_text().strip() == "[[Explain]]"  # a button
    assert "[[Colormap]]" in page.locator("#maps").inner_text()  # the view's own words, from its props

    page.get_by_role("tab", name="[[Lesson]]").click()
    page.locator("#lesson-example input").click()
    page.get_by_role("option", name="[[cheetah]]", exact=True).click()
    page.wait_for_function(f"() => {LESSON}?.payload() && {LESSON}.payload().lesson")
    page.locator("#lesson-weights [data-testid=cell-0-1]").wait_for()
    step1 = page.locator("#lesson-step1").inner_text()
    assert step1.startswith("[[Step 1: score every position.") and step1.rstrip().endswith("]]")
    assert "[[" in page.locator("#lesson-readout").inner_text()  # the readout, written in the browser
    classes = page.locator("#lesson-class input").input_value()
    assert classes == "[[top-1 prediction]]"  # its own words; the class names below it are English's
    assert not errors
    page.close()
