"""Accessibility and small screens in real chromium: axe-core finds no serious or critical violation on
the Explore tab (answered, in English and Chinese, and with downloads shown) nor on the Lesson tab (after
a lesson has loaded an example photo, in English and Chinese, with its comparison and occlusion panels
open), and at 390 px the page does not scroll sideways and every map is shown whole."""

import re

import pytest
from PIL import Image

from tests.browser_helpers import answered, axe_violations, horizontal_overflow, outside_viewport
from tests.test_lesson_browser import open_lesson

pytestmark = pytest.mark.browser
PHONE = (390, 844)


@pytest.fixture(scope="module")
def photo(example_photos, tmp_path_factory):
    path = tmp_path_factory.mktemp("photos") / "cheetah.png"
    Image.open(example_photos["cheetah"]).convert("RGB").save(path)
    return path


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_explore_has_no_serious_or_critical_axe_violation(browser, app_url, photo, locale):
    page = answered(browser, app_url, photo, locale=locale)
    try:
        if locale == "zh-CN":
            page.wait_for_function("() => window.cnnattn.view('explore').payload()?.language === 'zh'")
        assert axe_violations(page) == []  # the whole page as a visitor sees it on Explore
        page.locator("#explore-download").click()
        page.locator("#downloads a[href*='class.png']").wait_for()
        assert axe_violations(page, "#explore-tab") == []
    finally:
        page.close()


@pytest.mark.parametrize(("locale", "example"), [("en-US", "cheetah"), ("zh-CN", "lion")])
def test_lesson_has_no_serious_or_critical_axe_violation(browser, app_url, locale, example):
    page = open_lesson(browser, app_url, locale, f"?example={example}")
    try:
        if locale == "zh-CN":
            page.get_by_text("第 1 步").first.wait_for()
        assert page.locator("#lesson-tab").is_visible()
        assert axe_violations(page) == []  # the whole page as a visitor sees it on Lesson
        for box in ("#lesson-compare-box", "#lesson-occlusion-box"):
            page.locator(f"{box} button").first.click()  # open the accordion's panel
        page.locator("#lesson-gradcam-run").click()
        page.locator("#lesson-compare-text .md").filter(has_text="Grad-CAM").wait_for()  # the answer, not gradio's
        page.locator("#lesson-occlude-run").click()  # "processing" status (a transient block, scrollable)
        page.locator("#lesson-occluded img").wait_for()
        page.locator("#lesson-occlusion-text .md").filter(has_text=re.compile(".")).wait_for()
        assert axe_violations(page, "#lesson-tab") == []  # panels open, with their answers shown
    finally:
        page.close()


def test_explore_fits_a_390_px_screen(browser, app_url, photo, explainer):
    page = answered(browser, app_url, photo, viewport=PHONE)
    try:
        assert horizontal_overflow(page) <= 0
        assert outside_viewport(page, "#explore-tab *") == []
        payload = page.evaluate("() => window.cnnattn.view('explore').payload()")
        aspect = payload["photo"]["width"] / payload["photo"]["height"]
        canvases = page.locator("#maps figure.cv-map .cv-frame canvas")
        assert canvases.count() == sum(head.num_heads for head in explainer.heads)
        for canvas in canvases.all():
            box = canvas.bounding_box()
            assert box["width"] > 200  # one map per row, not thumbnails
            assert box["width"] / box["height"] == pytest.approx(aspect, rel=0.02)  # whole photo, not cropped
        assert axe_violations(page) == []
    finally:
        page.close()
