"""Every route an image takes to the model passes the one safe loader before any decode (issue 21, item 1):
a `data:` URL sent to /explain as a script sends it, and webcam frames, whatever file a client streams.

Against the real server on 127.0.0.1 (raw HTTP where gradio_client cannot send it). At e38ecb9 a data URL
reached gradio's own PIL decode (no format allowlist, no size or pixel limit: a 164 KB PNG claiming
13000 x 13000 cost 12 s of CPU and 1.7 GB), and the webcam input decoded any uploaded file.
"""

import base64
import io
import uuid

import httpx
import psutil
import pytest
from PIL import Image

from cnnattn.image.loading import MAX_FILE_BYTES
from cnnattn.webapp import explore
from tests import hostile_images as bad
from tests.conftest import launch_chromium
from tests.test_hostile import completion, explain_fn_index


@pytest.fixture(scope="module")
def api(app_url):
    with httpx.Client(base_url=app_url.rstrip("/") + "/gradio_api", timeout=120) as http:
        yield http


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def answer(api, fn_index: int, data: list) -> dict:
    """One job through the queue, as a script sends it; the completion message."""
    session = uuid.uuid4().hex
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "trigger_id": None}
    api.post("/queue/join", json=body).raise_for_status()
    return completion(api, session, timeout=120)


def explain_url(api, app_url, url: str) -> dict:
    image = {"path": None, "url": url, "meta": {"_type": "gradio.FileData"}}
    return answer(api, explain_fn_index(app_url), [image, explore.TOP1, "en"])


def test_a_data_url_bomb_is_refused_by_its_header_without_decoding(api, app_url):
    rss = psutil.Process().memory_info().rss  # the server runs in this process
    message = explain_url(api, app_url, data_url(bad.png_zero_bomb(13000, 13000)))
    assert not message["success"]
    assert "too many pixels" in message["output"]["error"]
    assert psutil.Process().memory_info().rss - rss < 300 * 2**20  # 13000 x 13000 RGB decoded would be 507 MB


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("eps", bad.eps(), "not an image cnnattn can read"),  # PIL would run Ghostscript
        ("psd", bad.psd(), "not an image cnnattn can read"),
        ("text", b"just text", "not an image cnnattn can read"),
        ("too large", bad.oversized_jpeg(MAX_FILE_BYTES), "too large"),
    ],
)
def test_a_data_url_gets_the_loaders_allowlist_and_limits(api, app_url, name, data, expected):
    message = explain_url(api, app_url, data_url(data))
    assert not message["success"] and expected in message["output"]["error"], (name, message)


def test_a_data_url_photo_is_explained_from_its_own_bytes(api, app_url, example_photos):
    buffer = io.BytesIO()
    Image.open(example_photos["cheetah"]).convert("RGB").save(buffer, "PNG")
    message = explain_url(api, app_url, data_url(buffer.getvalue()))
    assert message["success"], message
    predictions, payload = message["output"]["data"][:2]
    assert predictions["label"] == "cheetah"
    assert payload["size"] == list(Image.open(example_photos["cheetah"]).size)  # not gradio's re-encoded copy


def webcam_stream_fn(app_url) -> tuple[int, str]:
    """The Lesson webcam's stream event and the component id it reads."""
    config = httpx.get(app_url + "config").json()
    webcam = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "lesson-webcam")
    dependency = next(d for d in config["dependencies"] if [webcam, "stream"] in d["targets"])
    return dependency["id"], webcam


def test_a_webcam_frame_goes_through_the_safe_loader(api, app_url, tmp_path):
    fn_index, _ = webcam_stream_fn(app_url)
    uploaded = api.post("/upload", files={"files": ("frame.png", bad.png_zero_bomb(13000, 13000))}).json()[0]
    rss = psutil.Process().memory_info().rss
    message = answer(api, fn_index, [{"path": uploaded, "meta": {"_type": "gradio.FileData"}}, "en"])
    assert not message["success"] and "too many pixels" in message["output"]["error"], message
    assert psutil.Process().memory_info().rss - rss < 300 * 2**20
    text = api.post("/upload", files={"files": ("frame.tga", b"\x00\x00\x02" + bytes(15) + bytes(64 * 3))}).json()[0]
    message = answer(api, fn_index, [{"path": text, "meta": {"_type": "gradio.FileData"}}, "en"])
    assert not message["success"] and "not an image cnnattn can read" in message["output"]["error"], message


def test_a_live_webcam_streams_its_class_map_and_a_frozen_frame_is_studied(playwright, app_url):
    """The page's own webcam lane, with chromium's fake camera: frames reach the loader as files."""
    browser = launch_chromium(playwright, ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
    try:
        page = browser.new_context(permissions=["camera"]).new_page()
        page.set_default_timeout(120_000)
        page.goto(app_url)
        page.get_by_role("tab", name="Lesson").click()
        page.locator("#lesson-tab").get_by_text("Webcam live mode").click()
        page.locator("#lesson-webcam").get_by_text("Click to Access Webcam").click()
        page.locator("#lesson-webcam button", has_text="Record").click()  # its aria-label is "capture photo"
        page.locator("#lesson-live img").wait_for()  # the live class map over a streamed frame
        page.locator("#lesson-webcam button", has_text="Stop").click()
        page.locator("#lesson-freeze").click()
        page.locator("#lesson-photo img").wait_for()  # the frozen frame is the lesson's photo
        page.locator("#lesson-tab canvas").first.wait_for()  # and its maps are drawn
        assert page.locator("#lesson-notice").inner_text().strip() == ""  # no refusal
    finally:
        browser.close()
