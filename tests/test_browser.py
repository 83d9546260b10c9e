"""Real chromium on the Explore tab: the first answer, controls that redraw with no request, the query
by click and keyboard, pixels equal to the Python renderer, downloads as shown, and Chinese."""

import base64
import io
import json
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from cnnattn.payload import weights_from_payload
from cnnattn.render import COLORMAPS, overlay
from cnnattn.webapp.view import ABSOLUTE_MAX
from tests.browser_helpers import answered
from tests.conftest import _free_port, launch_chromium

DOCS = Path(__file__).resolve().parents[1] / "docs"
VIEW = "window.cnnattn.view('explore')"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(playwright):
    browser = launch_chromium(playwright, ["--force-color-profile=srgb"])
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def png_photo(example_photos, tmp_path_factory):
    """The cheetah as a PNG: a lossless upload, so the only lossy step is the payload's display JPEG."""
    path = tmp_path_factory.mktemp("photos") / "cheetah.png"
    Image.open(example_photos["cheetah"]).convert("RGB").save(path)
    return path


@pytest.fixture(scope="module")
def page(browser, app_url, png_photo):
    page = answered(browser, app_url, png_photo)
    yield page
    page.close()


def set_range(page, selector: str, value: float) -> None:
    """Move a range input as a person does: set the value, then the input event the view listens to."""
    page.locator(selector).evaluate(
        "(input, value) => { input.value = value; input.dispatchEvent(new Event('input', {bubbles: true})); }", value
    )


def canvas_pixels(page, head: str) -> np.ndarray:
    page.evaluate(f"() => {VIEW}.flush()")  # maps off screen are painted when idle: paint them now
    canvas = page.locator(f"#maps figure[data-head='{head}'] .cv-frame canvas")
    return np.asarray(decoded(canvas.evaluate("c => c.toDataURL('image/png')")))


def decoded(url: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")


def shown_photo(page, head: str) -> Image.Image:
    """The photo a map was blended on: the payload's JPEG at the size the canvas is drawn (the browser
    scales the photo; the map's upsampling, colormap and blend are what is compared)."""
    canvas = page.locator(f"#maps figure[data-head='{head}'] .cv-frame canvas")
    width, height = canvas.evaluate("c => [c.width, c.height]")
    return decoded(page.evaluate(f"([w, h]) => {VIEW}.photoAt(w, h)", [width, height]))


def python_render(page, head: str, colormap: str, photo: Image.Image | None = None) -> np.ndarray:
    """The Python renderer's overlay of what the view shows now (same payload, settings and query), on the
    photo as the canvas shows it unless another is given."""
    payload = page.evaluate(f"() => {VIEW}.payload()")
    settings = page.evaluate(f"() => {VIEW}.settings()")
    entry = next(e for e in payload["heads"] if head in e["ids"])
    temperature = settings["class_temperature"] if entry["class_conditional"] else settings["temperature"]
    weights = weights_from_payload(entry, entry["ids"].index(head), temperature, settings["query"])
    vmax = ABSOLUTE_MAX / weights.size if settings["mode"] == "absolute" else None
    photo = shown_photo(page, head) if photo is None else photo
    return np.asarray(overlay(photo, weights, colormap, settings["opacity"], vmax))


def level_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(int) - b.astype(int))


def test_first_answer_draws_every_map_whole_with_a_colour_bar(page, explainer):
    payload = page.evaluate(f"() => {VIEW}.payload()")
    maps = sum(len(entry["ids"]) for entry in payload["heads"])
    assert page.locator("#maps figure.cv-map").count() == maps == sum(head.num_heads for head in explainer.heads)
    width, height = payload["photo"]["width"], payload["photo"]["height"]
    page.evaluate(f"() => {VIEW}.flush()")
    for canvas in page.locator("#maps figure.cv-map .cv-frame canvas").all():
        box = canvas.bounding_box()
        drawn = canvas.evaluate("c => [c.width, c.height]")
        # drawn at the size shown (device pixels, at most the photo's), whole: the photo's aspect, no crop
        assert drawn[0] == pytest.approx(min(width, box["width"]), abs=1)
        assert drawn[1] == pytest.approx(drawn[0] * height / width, abs=1)
        assert box["width"] / box["height"] == pytest.approx(width / height, rel=0.02)
    assert page.locator("#maps .cv-bar canvas").count() == maps
    assert "× uniform" in page.locator("#maps .cv-bar .high").first.inner_text()
    page.locator("#predictions").get_by_text("cheetah").first.wait_for()
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "screenshot.png"), full_page=True)


RANGES = {  # name: (selector, value, a map it changes)
    "opacity": ("#maps input[name=opacity]", 0.3, "class"),
    "class temperature": ("#maps input[name=class_temperature]", 2, "class"),
    "learned temperature": ("#maps input[name=temperature]", 2, "simple/0"),
}
SELECTS = {"colormap": ("#maps select[name=colormap]", "turbo"), "mode": ("#maps select[name=mode]", "per_map")}


def test_every_zero_request_control_redraws_with_no_request(page):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    timings = {}

    def changed(name, act, head="class"):
        before, draws = canvas_pixels(page, head), page.evaluate(f"() => {VIEW}.draws")
        act()
        page.wait_for_function(f"() => {VIEW}.draws > {draws}")
        timings[name] = page.evaluate(f"() => {VIEW}.lastDrawMs")
        assert not np.array_equal(canvas_pixels(page, head), before), name

    for name, (selector, value, head) in RANGES.items():
        changed(name, lambda s=selector, v=value: set_range(page, s, v), head)
    for name, (selector, value) in SELECTS.items():
        changed(name, lambda s=selector, v=value: page.locator(s).select_option(v))
    query_canvas = page.locator("#maps figure[data-head='self/0'] .cv-frame canvas")
    changed("query click", lambda: query_canvas.click(position={"x": 20, "y": 20}), "self/0")
    changed("query key", lambda: query_canvas.press("ArrowDown"), "self/0")
    page.locator("#maps select[name=head]").select_option("simple/2")
    assert page.locator("#maps figure.cv-map:visible").count() == 1
    page.locator("#maps select[name=head]").select_option("all")
    page.locator("#maps figure[data-head='class'] .cv-frame canvas").hover(position={"x": 30, "y": 30})
    assert "× uniform" in page.locator("#maps figure[data-head='class'] .cv-readout").inner_text()
    page.wait_for_timeout(1000)  # anything sent late would be counted too
    assert [url for url in requests if "/gradio_api/" in url] == []
    print("redraw ms:", timings)
    assert max(timings.values()) < 250  # the benchmark records the figures against the 50 ms target


def test_query_by_click_and_by_keyboard(page):
    canvas = page.locator("#maps figure[data-head='self/1'] .cv-frame canvas")
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] * 0.1, "y": box["height"] * 0.9})
    query = page.evaluate(f"() => {VIEW}.settings().query")
    assert query[0] == pytest.approx(0.1, abs=0.02) and query[1] == pytest.approx(0.9, abs=0.02)
    payload = page.evaluate(f"() => {VIEW}.payload()")
    entry = next(e for e in payload["heads"] if "self/1" in e["ids"])
    temperature = page.evaluate(f"() => {VIEW}.settings().temperature")
    expected = weights_from_payload(entry, 1, temperature, query).ravel()
    np.testing.assert_allclose(page.evaluate(f"() => {VIEW}.weights('self/1')"), expected, atol=1e-5)
    caption = page.locator("#maps figure[data-head='self/1'] figcaption")
    h, w = entry["grid"]
    row, col = min(int(query[1] * h), h - 1), min(int(query[0] * w), w - 1)
    assert f"(row {row + 1}, col {col + 1})" in caption.inner_text()  # counted from 1 on screen
    canvas.press("ArrowRight")
    canvas.press("ArrowUp")
    assert f"(row {row}, col {col + 2})" in caption.inner_text()  # one up, one right
    moved = page.evaluate(f"() => {VIEW}.settings().query")
    assert moved == pytest.approx([(col + 1.5) / w, (row - 0.5) / h])


@pytest.mark.parametrize("colormap", COLORMAPS)
def test_pixels_equal_the_python_renderer(page, colormap):
    page.locator("#maps select[name=colormap]").select_option(colormap)
    page.locator("#maps select[name=mode]").select_option("absolute")
    set_range(page, "#maps input[name=opacity]", 0.5)
    for head in ("class", "self/0"):
        difference = level_difference(canvas_pixels(page, head), python_render(page, head, colormap))
        # float32 rounding of one bilinear step moves a rare pixel by one colormap entry (~1e-6 of them)
        assert (difference > 2).mean() < 1e-4 and difference.max() <= 8, (head, difference.max())
    other = "viridis" if colormap != "viridis" else "inferno"
    wrong = level_difference(canvas_pixels(page, "class"), python_render(page, "class", other))
    assert (wrong > 2).mean() > 0.05  # the negative control: a different colormap is caught


def test_downloads_match_the_settings_shown(page, app_url):
    page.locator("#maps select[name=colormap]").select_option("magma")
    page.locator("#maps select[name=mode]").select_option("per_map")
    set_range(page, "#maps input[name=opacity]", 0.8)
    page.locator("#maps figure[data-head='self/0'] .cv-frame canvas").press("ArrowLeft")
    settings = page.evaluate(f"() => {VIEW}.settings()")
    page.locator("#explore-download").click()
    link = page.locator("#downloads a[href*='class.png']")
    link.wait_for()
    base = app_url.rstrip("/")
    files = {
        Path(href).name: httpx.get(href if href.startswith("http") else base + href).content
        for href in page.locator("#downloads a").evaluate_all("links => links.map(a => a.href)")
    }
    record = json.loads(files["weights.json"])
    assert record["settings"]["colormap"] == "magma" and record["settings"]["mode"] == "per_map"
    assert record["settings"]["query"] == pytest.approx(settings["query"])
    shown = np.asarray(Image.open(io.BytesIO(files["class.png"])).convert("RGB"))
    # The PNG is the payload's photo at full display size; the canvas shows the same overlay at its own size.
    full = decoded("data:," + page.evaluate(f"() => {VIEW}.payload().photo.jpeg"))
    expected = python_render(page, "class", "magma", full)
    assert shown.shape == expected.shape and (level_difference(shown, expected) > 2).mean() < 1e-4
    self_map = next(m for m in record["maps"] if m["head"] == "self/0")
    shown_weights = page.evaluate(f"() => {VIEW}.weights('self/0')")
    np.testing.assert_allclose(np.ravel(self_map["weights"]), shown_weights, atol=1e-5)


def test_chinese_page_labels_the_view_and_names_the_class(browser, app_url, png_photo):
    page = answered(browser, app_url, png_photo, locale="zh-CN")
    try:
        page.get_by_role("tab", name="探索").wait_for()
        page.wait_for_function(f"() => {VIEW}.payload()?.language === 'zh'")
        assert "猎豹" in page.locator("#maps figure[data-head='class'] figcaption").inner_text()
        assert "绝对" in page.locator("#maps select[name=mode]").inner_text()
        assert "均匀" in page.locator("#maps .cv-bar .high").first.inner_text()
        page.screenshot(path=str(DOCS / "screenshot-zh.png"), full_page=True)
    finally:
        page.close()


def test_maps_are_drawn_again_at_a_new_width(browser, app_url, png_photo):
    """A map is drawn at the size it is shown: at another window width (here one map per row, so each is
    shown wider) every map is drawn again at its new size."""
    page = answered(browser, app_url, png_photo)
    try:
        canvas = page.locator("#maps figure[data-head='class'] .cv-frame canvas")
        wide = canvas.evaluate("c => c.width")
        page.set_viewport_size({"width": 500, "height": 900})
        redrawn = "w => document.querySelector(\"#maps [data-head='class'] canvas\").width !== w"
        page.wait_for_function(redrawn, arg=wide)
        page.evaluate(f"() => {VIEW}.flush()")
        box = canvas.bounding_box()
        photo_width = page.evaluate(f"() => {VIEW}.payload().photo.width")
        assert canvas.evaluate("c => c.width") == pytest.approx(min(box["width"], photo_width), abs=1)
        assert page.evaluate(f"() => {VIEW}.pending()") == 0
    finally:
        page.close()


def test_a_chosen_class_answers_and_holds_for_the_next_photo(browser, app_url, png_photo, example_photos):
    """The class dropdown answers on its own; a later photo is answered for the same class (the answer
    to a photo carries the class as one number, not the 1000-entry list)."""
    page = answered(browser, app_url, png_photo)
    try:
        box = page.locator("#explore-class input")
        box.click()
        box.fill("")
        box.press_sequentially("281: tab")
        page.get_by_role("option", name="281: tabby").click()
        page.wait_for_function(f"() => {VIEW}.payload()?.class_index === 281")
        assert "tabby" in page.locator("#maps figure[data-head='class'] figcaption").inner_text()
        page.locator("#photo input[type=file]").set_input_files(str(example_photos["lion"]))
        page.wait_for_function(f"() => {VIEW}.payload()?.predictions[0].label.includes('lion')")
        assert page.evaluate(f"() => {VIEW}.payload().class_index") == 281
    finally:
        page.close()


@pytest.fixture
def red_colormap():
    """A colormap a user adds (docs/LIBRARY.md, "Add a colormap"), taken away again after the test."""
    import matplotlib

    from cnnattn.render import COLORMAPS, lookup_table, register_colormap

    register_colormap("black_to_red", ["black", "red"])
    yield "black_to_red"
    COLORMAPS.remove("black_to_red")
    matplotlib.colormaps.unregister("black_to_red")
    lookup_table.cache_clear()


def test_a_registered_colormap_is_offered_and_drawn_like_the_python_renderer(
    browser, explainer, png_photo, red_colormap
):
    from cnnattn.webapp import app

    demo = app.build_app(explainer)  # registered before the page is built, as the docs say
    port = _free_port()
    app.serve(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    page = answered(browser, f"http://127.0.0.1:{port}/", png_photo)
    try:
        offered = page.locator("#maps select[name=colormap] option").evaluate_all(
            "options => options.map(o => o.value)"
        )
        assert offered[-1] == red_colormap
        page.locator("#maps select[name=colormap]").select_option(red_colormap)
        page.locator("#maps select[name=mode]").select_option("absolute")
        drawn = canvas_pixels(page, "class")
        difference = level_difference(drawn, python_render(page, "class", red_colormap))
        assert (difference > 2).mean() < 1e-4 and difference.max() <= 8
        assert (level_difference(drawn, python_render(page, "class", "inferno")) > 2).mean() > 0.05
    finally:
        page.close()
        demo.close()
