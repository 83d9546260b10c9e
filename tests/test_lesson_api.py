"""The Lesson tab's endpoints on the real server, called the way scripts call them: named settings
with defaults, the photo sent with each call (an evicted photo is encoded again, never "expired")."""

import numpy as np
import pytest
from gradio_client import Client, handle_file

from cnnattn.i18n import CHINESE_ALLOWLIST, untranslated_words


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False, download_files=False)


def shown(table: dict) -> np.ndarray:
    """A lesson table's numbers as shown (first column holds the row labels; tiny weights as 5.0×10⁻⁴)."""
    cells = [row[1:] for row in table["value"]["data"]]
    return np.array([[float(c.replace("×10⁻", "e-").translate(SUPERSCRIPTS)) for c in row] for row in cells])


SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
RENDER = 2  # /lesson_render: head, step 1 text, scores, step 2 text, weights, ...


def test_lesson_answers_with_the_payload_and_texts(client, example_photos):
    photo = handle_file(str(example_photos["cheetah"]))
    example, payload, head_text, *_ = client.predict(photo, api_name="/lesson")
    assert example is None and payload["class_label"] == "cheetah" and "cheetah" in head_text
    assert {entry["kind"] for entry in payload["heads"]} >= {"class", "simple", "self", "feature_self"}
    warm = shown(client.predict(photo, None, api_name="/lesson_render")[4])
    hot = shown(client.predict(photo, None, temperature=12.0, api_name="/lesson_render")[4])
    assert warm.sum() == pytest.approx(1.0, abs=warm.size * 5e-5) and (warm > 0).all()
    assert hot.max() < warm.max()


def test_chinese_texts_pass_the_allowlist(client, example_photos):
    photo = handle_file(str(example_photos["lion"]))
    texts = client.predict(photo, None, language="zh", api_name="/lesson_render")
    assert "第 1 步" in texts[1] and "狮子" in str(texts[8])
    tables = [t for t in texts[:9] if isinstance(t, dict)]
    written = [t for t in texts[:9] if isinstance(t, str)] + [t["label"] for t in tables]
    written += [str(cell) for t in tables for row in [t["value"]["headers"], *t["value"]["data"]] for cell in row]
    assert untranslated_words("\n".join(written), CHINESE_ALLOWLIST) == []


def test_bad_settings_and_non_images_get_one_translated_sentence(client, example_photos, tmp_path):
    photo = handle_file(str(example_photos["lion"]))
    with pytest.raises(Exception, match="simple/99"):
        client.predict(photo, None, head="simple/99", api_name="/lesson_render")
    with pytest.raises(Exception, match="between"):
        client.predict(photo, None, temperature=0.0, api_name="/lesson_render")
    text_file = tmp_path / "notes.jpg"
    text_file.write_text("not an image")
    with pytest.raises(Exception, match="不是 cnnattn 能读取的图片"):
        client.predict(handle_file(str(text_file)), language="zh", api_name="/lesson")


def test_class_and_layer_choices(client, example_photos):
    photo = handle_file(str(example_photos["lion"]))
    top1 = client.predict(photo, None, api_name="/lesson_render")
    tabby = client.predict(photo, None, class_index=281, api_name="/lesson_render")
    assert "tabby" in tabby[0] and "lion" in top1[0] and "cls=281" in tabby[9]
    assert not np.allclose(shown(tabby[4]), shown(top1[4]))
    self_head = dict(head="feature_self", temperature=1.0)
    last = shown(client.predict(photo, None, **self_head, api_name="/lesson_render")[4])
    stage = client.predict(photo, None, **self_head, layer="blocks.4", api_name="/lesson_render")
    assert shown(stage[4]).shape == (2 * last.shape[0], 2 * last.shape[1])  # stride 16 against 32
    assert "layer=blocks.4" in stage[9] and stage[11]["visible"] is True


def test_comparison_is_not_the_class_maps_own_scores_and_sanity_has_a_verdict(client, example_photos):
    photo = handle_file(str(example_photos["cheetah"]))
    compared, message = client.predict(photo, api_name="/lesson_gradcam")
    assert "blocks.4" in message and "agree by construction" not in message
    assert [entry["names"][0] for entry in compared["heads"]][1].startswith("Grad-CAM")
    _, verdict = client.predict(photo, api_name="/lesson_sanity")
    assert "Sanity check passed" in verdict or "Sanity check failed" in verdict
    assert "0.40" in verdict  # the measured threshold of the class map
