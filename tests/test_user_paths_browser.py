"""The paths a teacher and a student take, walked in a real chromium (issue 17): the page opened at its
address, tabs clicked by their names, examples picked from their lists, the language switched before and
after an answer, a file that is not a photo uploaded into every photo input of both tabs, predict-then-
reveal played, requests counted per upload, and a 390 px phone. Deep links are tested in
test_lesson_browser.py, in addition to these. Saves the screenshots in docs/walk/."""

import re
from pathlib import Path

import pytest

from cnnattn.i18n import untranslated_words

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "walk"
TIMEOUT_MS = 90_000
LESSON = "window.cnnattn.view('lesson')"
EXPLORE = "window.cnnattn.view('explore')"
WORDS = {
    "en": {"lesson": "Lesson", "cheetah": "cheetah", "lion": "lion", "refused": "not an image cnnattn can read"},
    "zh": {"lesson": "课堂", "cheetah": "猎豹", "lion": "狮子", "refused": "不是 cnnattn 能读取的图片"},
}
SHOWN_CANVAS = "#lesson-view figure:not([hidden]) .cv-frame canvas"
# What would give a predict-then-reveal guess away while the map is hidden.
REVEALING = ["#lesson-step1", "#lesson-scores", "#lesson-step2", "#lesson-weights", "#lesson-cell", "#lesson-readout"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def not_a_photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("uploads") / "notes.jpg"
    path.write_text("my notes for tomorrow's lesson, not a photo\n" * 40)
    return path


class Visit:
    """One visitor's page: the console's errors and the queue jobs the page sent, by gradio function name."""

    def __init__(self, browser, app_url, language="en", width=1400, height=1000):
        locale = "zh-CN" if language == "zh" else "en-US"
        mobile = dict(is_mobile=True, has_touch=True) if width < 700 else {}
        self.page = browser.new_page(viewport={"width": width, "height": height}, locale=locale, **mobile)
        self.page.set_default_timeout(TIMEOUT_MS)
        self.errors, self.jobs = [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", self._count)
        self.page.goto(app_url)
        self.page.locator("#language").wait_for()
        self.page.wait_for_function("() => window.cnnattnPage && window.cnnattn?.view('explore')")
        self.names = self.page.evaluate(
            "() => Object.fromEntries(window.gradio_config.dependencies.map((d) => [d.id, d.api_name || '']))"
        )

    def _count(self, request):
        if "queue/join" in request.url:
            self.jobs.append(request.post_data_json["fn_index"])

    def switch_language(self, language: str) -> None:
        self.page.locator("#language").get_by_text("中文" if language == "zh" else "English").click()
        self.page.wait_for_function(f"() => document.documentElement.dataset.cnnattnLanguage === '{language}'")

    def open_lesson(self, language: str) -> None:
        self.page.get_by_role("tab", name=WORDS[language]["lesson"]).click()
        self.page.locator("#lesson-example").wait_for(state="visible")

    def pick_example(self, language: str, name: str = "cheetah") -> None:
        draws = self.page.evaluate(f"() => {LESSON}?.draws || 0")
        self.page.locator("#lesson-example input").click()
        self.page.get_by_role("option", name=WORDS[language][name], exact=True).click()
        self.page.wait_for_function(f"() => ({LESSON}?.draws || 0) > {draws} && {LESSON}.payload()")
        if not self.page.evaluate(f"() => {LESSON}.concealed"):  # the tables are hidden until a guess
            self.page.locator("#lesson-weights [data-testid=cell-0-1]").wait_for()

    def badges(self) -> int:
        """gradio's red error badges (an event that raised marks every output with one)."""
        return self.page.locator(".error:visible").count()

    def close(self) -> None:
        self.page.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_lesson_opened_by_its_tab_draws_its_map_and_its_controls_work(browser, app_url, language):
    visit = Visit(browser, app_url, language)
    page = visit.page
    visit.switch_language(language)  # the switch itself, not only the browser's language
    visit.open_lesson(language)
    visit.pick_example(language)
    assert not [e for e in visit.errors if "js_on_load" in e]
    assert page.locator(SHOWN_CANVAS).is_visible()
    # The view's controls are reachable: a cell click moves the query, the texts follow.
    before = page.locator("#lesson-cell").inner_text()
    page.locator("#lesson-view select[name=head]").select_option("self/0")
    page.locator(SHOWN_CANVAS).click(position={"x": 5, "y": 5})
    page.wait_for_function(f"() => {LESSON}.settings().query[0] < 0.2")
    page.wait_for_function("(before) => document.querySelector('#lesson-cell').innerText !== before", arg=before)
    shot(page, f"lesson-opened-by-its-tab-{language}.png")
    visit.close()


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("tab", ["explore", "lesson"])
def test_a_file_that_is_not_a_photo_is_one_sentence_and_clears_the_answer(
    browser, app_url, example_photos, not_a_photo, tab, language
):
    visit = Visit(browser, app_url)
    page = visit.page
    visit.switch_language(language)  # before the answer: gradio rebuilt the image input on this relabel
    if tab == "lesson":
        visit.open_lesson(language)
    photo_input = page.locator("#photo input[type=file]" if tab == "explore" else "#lesson-photo input[type=file]")
    view = EXPLORE if tab == "explore" else LESSON
    photo_input.set_input_files(str(example_photos["lion"]))
    page.wait_for_function(f"() => {view}?.payload()")
    photo_input.set_input_files(str(not_a_photo))
    notice = page.locator("#explore-notice" if tab == "explore" else "#lesson-notice")
    notice.get_by_text(WORDS[language]["refused"]).wait_for()
    page.wait_for_function(f"() => !{view}.payload()")  # the previous answer is gone
    page.wait_for_timeout(500)  # a late error badge would show by now
    assert visit.badges() == 0
    assert page.locator(".toast-body").count() == 0
    assert page.locator(f"#{'photo' if tab == 'explore' else 'lesson-photo'} img").count() == 0  # no broken image
    if tab == "explore":
        assert "lion" not in page.locator("#predictions").inner_text()
    shot(page, f"refused-upload-{tab}-{language}.png")
    # The server keeps serving this visitor: the next photo is answered.
    photo_input.set_input_files(str(example_photos["cheetah"]))
    page.wait_for_function(f"() => {view}.payload()?.class_index === 293")  # the cheetah, in either language
    assert notice.inner_text().strip() == ""
    visit.close()


@pytest.mark.parametrize("tab", ["explore", "lesson"])
def test_each_upload_sends_one_job(browser, app_url, example_photos, tmp_path, tab):
    """gradio's image fires `change` twice when a photo replaces another: every upload after the first
    sent two /explain jobs (two toasts, twice a student's allowance)."""
    from gradio.media import get_image

    visit = Visit(browser, app_url)
    page = visit.page
    if tab == "lesson":
        visit.open_lesson("en")
    photo_input = page.locator("#photo input[type=file]" if tab == "explore" else "#lesson-photo input[type=file]")
    view = EXPLORE if tab == "explore" else LESSON
    for name, label in (("cheetah.jpg", "cheetah"), ("lion.jpg", "lion"), ("tower.jpg", "")):
        sent = len(visit.jobs)
        photo_input.set_input_files(get_image(name))
        page.wait_for_function(f"(label) => {view}?.payload()?.predictions[0].label.includes(label)", arg=label)
        page.wait_for_timeout(1500)  # a second job would have been sent by now
        assert len(visit.jobs) - sent == 1, [visit.names.get(j, j) for j in visit.jobs[sent:]]
    visit.close()


def revealing_shown(page) -> list[str]:
    return [selector for selector in REVEALING if page.locator(selector).is_visible()]


def test_predict_then_reveal_shows_nothing_of_the_map_before_the_guess(browser, app_url):
    visit = Visit(browser, app_url)
    page = visit.page
    visit.open_lesson("en")
    visit.pick_example("en")
    page.locator("#lesson-guess-mode input").check()
    page.wait_for_function(f"() => {LESSON}.guessing")
    assert revealing_shown(page) == []
    page.locator(SHOWN_CANVAS).hover(position={"x": 20, "y": 20})
    assert page.locator("#lesson-view figure:not([hidden]) .cv-readout").inner_text() == ""
    assert "largest weight" not in page.locator("#lesson-tab").inner_text()
    page.locator(SHOWN_CANVAS).click(position={"x": 20, "y": 20})  # the guess
    page.locator("#lesson-guess").get_by_text("(row 1, col 1)").wait_for()
    page.wait_for_function(f"() => !{LESSON}.concealed")
    assert revealing_shown(page) == REVEALING
    # A new photo: the map is hidden again and the old photo's verdict is gone.
    visit.pick_example("en", "lion")
    page.wait_for_function("() => document.querySelector('#lesson-guess').innerText.trim() === ''")
    assert revealing_shown(page) == []
    visit.close()


def test_a_hover_readout_follows_the_controls(browser, app_url, example_photos):
    visit = Visit(browser, app_url)
    page = visit.page
    page.locator("#photo input[type=file]").set_input_files(str(example_photos["cheetah"]))
    page.wait_for_function(f"() => {EXPLORE}?.draws > 0")
    canvas = page.locator("#maps figure[data-head='class'] .cv-frame canvas")
    canvas.hover(position={"x": 10, "y": 10})
    readout = page.locator("#maps figure[data-head='class'] .cv-readout")
    before = readout.inner_text()
    page.locator("#maps input[name=class_temperature]").evaluate(
        "(input) => { input.value = 20; input.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    top_left = page.evaluate(f"() => {EXPLORE}.weights('class')[0]")
    assert readout.inner_text() != before
    assert readout.inner_text().startswith(f"row 1, col 1: {top_left:.4f}")
    visit.close()


@pytest.mark.parametrize("selector", ["#explore-class", "#lesson-class"])
def test_typing_a_class_replaces_the_class_shown(browser, app_url, selector):
    visit = Visit(browser, app_url)
    page = visit.page
    if selector == "#lesson-class":
        visit.open_lesson("en")
        visit.pick_example("en")  # the class list is shown for the class map
    box = page.locator(f"{selector} input")
    box.click()
    box.press_sequentially("tabby")
    assert box.input_value() == "tabby"
    page.get_by_role("option", name="281: tabby").wait_for()
    visit.close()


def test_on_a_phone_an_example_brings_the_first_map_into_view(browser, app_url):
    visit = Visit(browser, app_url, width=390, height=844)
    page = visit.page
    page.locator("button.gallery-item").first.tap()
    page.wait_for_function(f"() => {EXPLORE}?.draws > 0")
    first_map = page.locator("#maps figure").first
    page.wait_for_function("(f) => f.getBoundingClientRect().top < innerHeight / 2", arg=first_map.element_handle())
    assert first_map.bounding_box()["y"] > -20  # its top is on the screen
    # The view's controls sit below its maps there.
    assert page.locator("#maps .cv-controls").bounding_box()["y"] > first_map.bounding_box()["y"]
    page.evaluate("() => scrollTo(0, 0)")
    visit.open_lesson("en")
    page.locator("#lesson-example input").tap()
    page.get_by_role("option", name="lion", exact=True).tap()
    page.wait_for_function(f"() => {LESSON}?.draws > 0")
    shown = page.locator("#lesson-view figure:not([hidden])")
    page.wait_for_function(
        "(f) => Math.abs(f.getBoundingClientRect().top) < innerHeight / 2", arg=shown.element_handle()
    )
    shot(page, "phone-lesson-example-en.png")
    visit.close()


def test_the_chinese_lesson_before_a_photo_is_all_chinese(browser, app_url):
    visit = Visit(browser, app_url, "zh")
    page = visit.page
    visit.switch_language("zh")
    visit.open_lesson("zh")
    page.locator("#lesson-tab").get_by_text("摄像头实时模式").click()  # the webcam's own button is gradio's
    page.wait_for_timeout(500)
    assert untranslated_words(page.locator("#lesson-tab").inner_text()) == []
    assert "Click to Access Webcam" not in page.locator("#lesson-tab").inner_text()
    page.locator("#lesson-example input").click()
    examples = page.locator("[role=listbox] [role=option]")
    examples.first.wait_for()
    assert "猎豹" in examples.all_inner_texts()
    assert not [name for name in examples.all_inner_texts() if re.search("[A-Za-z]{2}", name)]
    assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
    visit.close()
