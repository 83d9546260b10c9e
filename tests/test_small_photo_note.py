"""A photo smaller than what the backbone sees gets a note, in the library, the CLI and the app (issue 17)."""

import json

import pytest
from PIL import Image

SMALL = (32, 32)


@pytest.fixture(scope="module")
def small_photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "small.png"
    Image.new("RGB", SMALL, (200, 120, 40)).save(path)
    return path


WORDS = {"en": "Small photo (32 × 32 pixels)", "zh": "照片较小（32 × 32 像素）"}


@pytest.mark.parametrize(("language", "words"), WORDS.items())
def test_library_notes_a_small_photo_only(explainer, small_photo, example_photos, language, words):
    notes = explainer.explain(small_photo, language=language).notes
    assert len(notes) == 1 and words in notes[0] and str(explainer.preprocessing.short_side) in notes[0]
    assert explainer.explain(example_photos["cheetah"], language=language).notes == ()


def test_threshold_is_the_network_inputs_short_side(explainer):
    side = explainer.preprocessing.short_side
    assert explainer.photo_notes((side - 1, 4 * side))
    assert not explainer.photo_notes((side, side))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_cli_json_carries_the_note(tmp_path, small_photo, example_photos, language):
    from cnnattn.cli import main

    out = tmp_path / "r.jsonl"
    argv = ["explain", str(small_photo), str(example_photos["cheetah"]), "--out", str(out), "--lang", language]
    assert main([*argv, "--workers", "0", "--threads", "1"]) == 0
    small, cheetah = (json.loads(line) for line in out.read_text().splitlines())
    assert len(small["notes"]) == 1 and "32 × 32" in small["notes"][0]
    assert cheetah["notes"] == []


@pytest.mark.parametrize(("language", "words"), [("en", "Small photo"), ("zh", "照片较小")])
def test_apps_notes_mention_a_small_photo(app_url, small_photo, example_photos, language, words):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    _, payload, notes = client.predict(handle_file(str(small_photo)), -1, language, api_name="/explain")
    assert words in notes and "32 × 32" in notes and payload["size"] == list(SMALL)
    _, _, notes = client.predict(handle_file(str(example_photos["cheetah"])), -1, language, api_name="/explain")
    assert words not in notes
