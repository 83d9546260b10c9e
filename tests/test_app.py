"""The real Gradio server on 127.0.0.1, called the way scripts and graders call it."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from cnnattn.payload import weights_from_payload
from cnnattn.render import overlay
from cnnattn.webapp.downloads import ViewSettings, explain_as_shown
from cnnattn.webapp.view import ABSOLUTE_MAX


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def test_explain_with_just_an_image_returns_the_payload(client, explainer, example_photos):
    predictions, payload, notes = client.predict(handle_file(str(example_photos["cheetah"])), api_name="/explain")
    assert predictions["label"] == "cheetah" and payload["class_label"] == "cheetah"
    assert "temperature-scaled" in notes
    reference = explainer.explain(example_photos["cheetah"])
    kinds = [entry["kind"] for entry in payload["heads"]]
    assert kinds == [head.kind for head in explainer.heads]
    for entry in payload["heads"]:
        for index, head_id in enumerate(entry["ids"]):
            expected = next(m.weights for m in reference.maps if str(m.head) == head_id)
            weights = weights_from_payload(entry, index, entry["default_temperature"])
            np.testing.assert_allclose(weights, expected, atol=1e-5)
            assert weights.sum() == pytest.approx(1.0, abs=1e-6)
    assert len(json.dumps(payload)) <= 300_000  # the size target at the default input scale


def test_class_and_language_change_the_payload(client, example_photos):
    photo = handle_file(str(example_photos["lion"]))
    _, top1, _ = client.predict(photo, api_name="/explain")
    _, other, _ = client.predict(photo, class_index=293, api_name="/explain")
    assert other["class_index"] == 293 and other["class_label"] == "cheetah"
    first, second = (weights_from_payload(p["heads"][0], 0, 4.0) for p in (top1, other))
    assert not np.allclose(first, second)
    predictions, payload, _ = client.predict(photo, language="zh", api_name="/explain")
    assert predictions["label"] == "狮子" and payload["language"] == "zh"


def test_downloads_are_built_for_the_settings_shown(client, explainer, example_photos, tmp_path):
    settings = ViewSettings(colormap="viridis", opacity=0.7, mode="absolute", query=(0.2, 0.7), temperature=2.0)
    files = client.predict(
        handle_file(str(example_photos["cheetah"])), json.dumps(vars(settings)), api_name="/explain_download"
    )
    names = sorted(Path(f).name for f in files)
    assert {"weights.json", "weights.npy", "cnnattn-maps.zip", "class.png", "self-1.png"} <= set(names)
    record = json.loads(Path(next(f for f in files if f.endswith("weights.json"))).read_text())
    assert record["settings"]["colormap"] == "viridis" and record["settings"]["query"] == [0.2, 0.7]
    stacked = np.load(next(f for f in files if f.endswith("weights.npy")))
    np.testing.assert_allclose(stacked.sum(axis=(1, 2)), 1.0, atol=1e-5)
    from cnnattn.pipeline import Pipeline

    shown, explanation = explain_as_shown(
        Pipeline(explainer), example_photos["cheetah"].read_bytes(), settings, None, "en"
    )
    class_map = explanation.maps[0].weights
    expected = np.asarray(overlay(shown, class_map, "viridis", 0.7, ABSOLUTE_MAX / class_map.size))
    with Image.open(next(f for f in files if f.endswith("class.png"))) as image:
        np.testing.assert_array_equal(np.asarray(image), expected)
    with zipfile.ZipFile(next(f for f in files if f.endswith(".zip"))) as bundle:
        assert set(bundle.namelist()) == set(names) - {"cnnattn-maps.zip"}


def test_non_image_and_bad_settings_give_clear_errors_and_server_keeps_serving(client, example_photos, tmp_path):
    bogus = tmp_path / "notes.jpg"
    bogus.write_text("this is text, not a photo")
    with pytest.raises(Exception, match="not an image cnnattn can read"):
        client.predict(handle_file(str(bogus)), api_name="/explain")
    photo = handle_file(str(example_photos["cheetah"]))
    with pytest.raises(Exception, match="settings could not be read"):
        client.predict(photo, '{"colormap": "nope"}', api_name="/explain_download")
    with pytest.raises(Exception, match="无法读取视图的设置"):
        client.predict(photo, "not json", language="zh", api_name="/explain_download")
    predictions, *_ = client.predict(photo, api_name="/explain")
    assert predictions["label"] == "cheetah"


@pytest.fixture(scope="module")
def demo(explainer):
    from cnnattn.webapp.app import build_app

    return build_app(explainer)


def test_no_server_event_has_a_layout_block_as_an_output(demo):
    """After such an event gradio's page copies every component inside the block (a whole tab) on each
    later loading-status change; tabs and accordions are updated by browser-only events instead."""
    from cnnattn.webapp.app import is_layout

    served = [fn for fn in demo.fns.values() if fn.fn is not None]
    assert served and not [(fn.name, type(b).__name__) for fn in served for b in fn.outputs if is_layout(b)]
    browser_only = [fn for fn in demo.fns.values() if fn.fn is None and any(is_layout(b) for b in fn.outputs)]
    assert browser_only  # the lesson link's tab and the labels of tabs and accordions


def test_explore_answers_a_photo_without_the_class_list(demo):
    """The page copies an event's 1000-entry class list item by item at every loading-status change
    (about 6,000 copies per answer): a photo's answer and its download read the class as one number."""
    answers = ("explain", "explain_if_photo", "download")
    served = [fn for fn in demo.fns.values() if fn.fn is not None and fn.name in answers]
    class_box = next(k for k, b in demo.blocks.items() if getattr(b, "elem_id", None) == "explore-class")
    photo_events = [fn for fn in served if all(target != class_box for target, _ in fn.targets)]  # not the class's own
    long_lists = [(fn.name, b) for fn in photo_events for b in fn.inputs if len(getattr(b, "choices", [])) > 100]
    # the endpoint, Run, a new photo, an example, a new language, download
    assert len(photo_events) == 6 and long_lists == []


def test_a_new_session_builds_component_configs_when_first_needed(demo):
    from cnnattn.webapp.gradio_internals import LazySessionState

    gradios = LazySessionState.__bases__[0]  # gradio's own class (serve() replaces the module's name)
    lazy, eager = LazySessionState(demo), gradios(demo)
    assert len(lazy.config_values) == 0 < len(eager.config_values)
    image = next(k for k, b in demo.blocks.items() if getattr(b, "elem_id", None) == "photo")
    lazy._update_value_in_config(image, {"path": "photo.png"})  # what gradio does with every event's inputs
    assert lazy.config_values[image]["props"]["value"] == {"path": "photo.png"}
    eager._update_value_in_config(image, {"path": "photo.png"})
    shown = lambda state: sorted((c["id"], c["type"], sorted(c["props"])) for c in state.components)  # noqa: E731
    assert shown(lazy) == shown(eager)  # deep links see every component, as before
