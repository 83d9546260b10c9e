"""`size` is the photo's real size (upright), although a large JPEG is decoded at reduced scale (issue 17)."""

import json

import pytest
from PIL import Image

from cnnattn.image.loading import load_image, photo_size

ROTATE_270 = 6  # EXIF orientation: the viewer turns the stored pixels by 90 degrees


def flat_jpeg(path, size=(6000, 4000), orientation=None):
    """A flat-colour JPEG: cheap to encode at any size; `orientation` adds the EXIF tag."""
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    Image.new("RGB", size, (90, 140, 60)).save(path, "JPEG", quality=80, exif=exif)
    return path


def test_loader_decodes_small_but_reports_the_real_size(tmp_path):
    photo = load_image(flat_jpeg(tmp_path / "big.jpg"))
    assert photo.size == (3000, 2000)  # draft mode: decoded at 1/2 scale
    assert photo_size(photo) == (6000, 4000)
    assert photo_size(photo.resize((300, 200))) == (300, 200)  # a resized copy is its own size


def test_turned_photo_reports_its_upright_size(tmp_path, explainer):
    path = flat_jpeg(tmp_path / "turned.jpg", orientation=ROTATE_270)
    assert photo_size(load_image(path)) == (4000, 6000)
    assert explainer.explain(path).size == (4000, 6000)


def test_payload_reports_the_real_size(tmp_path, explainer):
    from cnnattn.pipeline import Pipeline

    data = flat_jpeg(tmp_path / "big.jpg").read_bytes()
    assert Pipeline(explainer).payload(data)["size"] == [6000, 4000]


@pytest.mark.parametrize("workers", ["0", "1"], ids=["in-process", "dataloader-worker"])
def test_cli_json_size_is_the_real_size(tmp_path, workers):
    from cnnattn.cli import main

    paths = [str(flat_jpeg(tmp_path / name)) for name in ("a.jpg", "b.jpg")]  # two files: workers decode
    out = tmp_path / "r.jsonl"
    assert main(["explain", *paths, "--out", str(out), "--workers", workers, "--threads", "1"]) == 0
    assert [json.loads(line)["size"] for line in out.read_text().splitlines()] == [[6000, 4000]] * 2
