"""The real Gradio server on 127.0.0.1, called the way scripts and graders call it."""

import json
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def test_explain_with_just_an_image(client, example_photos):
    predictions, gallery, grid, downloads, notes = client.predict(
        handle_file(str(example_photos["cheetah"])), api_name="/explain"
    )
    assert predictions["label"] == "cheetah"
    assert len(gallery) >= 1 and gallery[0]["caption"] == "class map: cheetah"
    assert np.array(grid["data"], dtype=float).sum() == pytest.approx(1.0, abs=1e-2)
    names = sorted(path.rsplit("/", 1)[-1] for path in downloads)
    assert "weights.json" in names and "weights.npy" in names and any(n.endswith(".png") for n in names)
    record = json.loads(Path(next(p for p in downloads if p.endswith("weights.json"))).read_text())
    stacked = np.load(next(p for p in downloads if p.endswith("weights.npy")))
    assert stacked.shape[0] == len(record["maps"]) == len(gallery)
    np.testing.assert_allclose(stacked.sum(axis=(1, 2)), 1.0, atol=1e-5)


def test_controls_change_the_maps(client, example_photos):
    photo = handle_file(str(example_photos["lion"]))
    _, _, grid_top1, *_ = client.predict(photo, api_name="/explain")
    _, _, grid_other, *_ = client.predict(photo, class_choice="293: cheetah", api_name="/explain")
    assert not np.allclose(np.array(grid_top1["data"], float), np.array(grid_other["data"], float))
    predictions, gallery, *_ = client.predict(photo, language="zh", api_name="/explain")
    assert predictions["label"] == "狮子"


def test_non_image_gives_a_clear_error_and_server_keeps_serving(client, example_photos, tmp_path):
    bogus = tmp_path / "notes.jpg"
    bogus.write_text("this is text, not a photo")
    with pytest.raises(Exception, match="not an image cnnattn can read"):
        client.predict(handle_file(str(bogus)), api_name="/explain")
    predictions, *_ = client.predict(handle_file(str(example_photos["cheetah"])), api_name="/explain")
    assert predictions["label"] == "cheetah"
