"""Helpers shared by the browser tests: an answered page, axe-core accessibility checks and the
small-screen layout checks (any tab: pass its selector)."""

import contextlib

from tests import tools
from tests.tools import AXE

TIMEOUT_MS = 120_000
BLOCKING = ("serious", "critical")  # axe impacts a test refuses


def answered(browser, app_url, photo, locale="en-US", viewport=(1400, 1000)):
    """A new page on the app with `photo` uploaded to Explore and every map drawn."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, locale=locale)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_url)
    page.locator("#photo input[type=file]").set_input_files(str(photo))
    page.wait_for_function("() => window.cnnattn?.view('explore')?.draws > 0")
    return page


def axe_violations(page, selector: str = "body", impacts=BLOCKING) -> list[dict]:
    """axe-core's violations of `impacts` inside `selector` (hidden elements are not checked), each as
    {id, impact, help, targets}; skips when axe-core is not installed (fails under --require-tools)."""
    if not AXE.exists():
        tools.missing(f"axe-core is not installed (npm ci: package.json pins it), no {AXE}")
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # gradio dims a block to opacity 0.2 while its event runs: check the page settled, not mid-answer (if it
    # is still pending after 15 s, axe reports what it sees)
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function("() => !document.querySelector('.pending')", timeout=15_000)
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE))
    run = "async (selector) => await axe.run(document.querySelector(selector), {resultTypes: ['violations']})"
    result = page.evaluate(run, selector)
    if any(v["impact"] in impacts for v in result["violations"]):
        # Checked once more a second later: a block gradio was redrawing at that instant (seen about once in
        # three runs, on a different element each time) is settled by then; a real violation is still there.
        page.wait_for_timeout(1000)
        result = page.evaluate(run, selector)
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def horizontal_overflow(page) -> int:
    """Pixels the page scrolls sideways (0 when everything fits the viewport's width)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def outside_viewport(page, selector: str) -> list[dict]:
    """Boxes of the visible elements matching `selector` that stick out of the viewport's width."""
    return page.locator(selector).evaluate_all(
        """(nodes) => nodes.filter((n) => n.offsetParent !== null).map((n) => n.getBoundingClientRect())
             .filter((b) => b.left < -0.5 || b.right > document.documentElement.clientWidth + 0.5)
             .map((b) => ({left: b.left, right: b.right}))"""
    )
