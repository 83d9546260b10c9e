"""The real embedded backbone end to end: predictions, maps, preprocessing and the CLI."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from cnnattn.explain import MapRequest, grid_cell
from cnnattn.image.preprocess import Preprocessing
from cnnattn.labels import class_names

CHEETAH, LION = 293, 291


@pytest.mark.parametrize("name,index", [("cheetah", CHEETAH), ("lion", LION)])
def test_real_backbone_classifies_packaged_photos(explainer, example_photos, name, index):
    explanation = explainer.explain(example_photos[name])
    assert explanation.predictions[0].index == index
    assert explanation.predictions[0].label == name
    probs = [p.prob for p in explanation.predictions]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1


def test_every_map_is_a_distribution_over_the_whole_photo(explainer, example_photos):
    photo = Image.open(example_photos["cheetah"])
    explanation = explainer.explain(example_photos["cheetah"], MapRequest(queries=[(0.1, 0.9), (0.5, 0.5)]))
    assert explanation.size == photo.size
    kinds = {m.kind for m in explanation.maps}
    assert "class" in kinds
    for attention_map in explanation.maps:
        h, w = attention_map.weights.shape
        # No hidden centre crop: the grid has the photo's aspect ratio (502x343 -> 12x8).
        assert abs(w / h - photo.width / photo.height) < 0.25
        assert (attention_map.weights >= 0).all()
        assert attention_map.weights.sum() == pytest.approx(1.0, abs=1e-5)


def test_class_map_follows_requested_class_and_temperature(explainer, example_photos):
    encoded = explainer.encode(Image.open(example_photos["cheetah"]).convert("RGB"))
    top1 = explainer.explain_encoded(encoded).maps[0]
    other = explainer.explain_encoded(encoded, MapRequest(class_index=LION)).maps[0]
    assert top1.class_index == CHEETAH and other.class_index == LION
    assert not np.allclose(top1.weights, other.weights)

    def entropy(w):
        return float(-(w * np.log(w + 1e-12)).sum())

    sharp = explainer.explain_encoded(encoded, MapRequest(temperatures={"class": 1.0})).maps[0].weights
    flat = explainer.explain_encoded(encoded, MapRequest(temperatures={"class": 16.0})).maps[0].weights
    assert entropy(sharp) < entropy(top1.weights) < entropy(flat) < np.log(flat.size)


def test_bad_temperature_and_class_are_rejected(explainer, example_photos):
    encoded = explainer.encode(Image.open(example_photos["lion"]).convert("RGB"))
    with pytest.raises(ValueError, match="positive"):
        explainer.explain_encoded(encoded, MapRequest(temperatures={"simple": 0}))
    with pytest.raises(ValueError, match="outside"):
        explainer.explain_encoded(encoded, MapRequest(class_index=1000))


@pytest.mark.parametrize(
    "query,grid,cell", [((0, 0), (8, 12), 0), ((1, 1), (8, 12), 95), ((0.5, 0.5), (8, 12), 4 * 12 + 6)]
)
def test_query_fractions_map_to_grid_cells(query, grid, cell):
    assert grid_cell(query, grid) == cell


def test_preprocessing_comes_from_backbone_config(explainer):
    config = explainer.backbone.data_config
    prep = Preprocessing.from_config(config, explainer.backbone.stride)
    assert prep.short_side == round(config["input_size"][-1] / config["crop_pct"])
    assert prep.mean == tuple(config["mean"])
    width, height = prep.input_size(1000, 500)
    assert height == prep.short_side and width % prep.multiple == 0 and width == 2 * height


def test_chinese_labels_align_with_english():
    en, zh = class_names("en"), class_names("zh")
    assert len(en) == len(zh) == 1000
    assert zh[CHEETAH] == "猎豹" and zh[LION] == "狮子" and en[CHEETAH] == "cheetah"
    assert len(set(zh)) == 1000


def test_cli_explain_writes_jsonl_and_names_skipped_files(tmp_path, example_photos):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cheetah.jpg").write_bytes(example_photos["cheetah"].read_bytes())
    (folder / "lion.jpg").write_bytes(example_photos["lion"].read_bytes())
    (folder / "broken.jpg").write_bytes(b"not an image at all")
    out = tmp_path / "r.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "cnnattn", "explain", str(folder), "--out", str(out), "--query", "0.25,0.75"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr  # one file skipped -> non-zero exit
    assert "broken.jpg" in result.stderr and "not an image" in result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["image"].rsplit("/", 1)[-1] for r in records] == ["cheetah.jpg", "lion.jpg"]
    for record in records:
        assert set(record) >= {"image", "size", "predictions", "maps", "calibration"}
        assert len(record["predictions"]) == 5
        assert set(record["predictions"][0]) == {"index", "label", "prob", "logit"}
        logits = [p["logit"] for p in record["predictions"]]
        assert logits == sorted(logits, reverse=True)  # calibration never changes the ranking
        for attention_map in record["maps"]:
            weights = np.array(attention_map["weights"])
            assert list(weights.shape) == attention_map["shape"]
            assert weights.sum() == pytest.approx(1.0, abs=1e-5)
            if attention_map["kind"] == "class":
                assert attention_map["class_index"] == record["predictions"][0]["index"]
            if attention_map["kind"] in ("self", "feature_self"):
                assert attention_map["query"] == [0.25, 0.75]
    assert records[0]["predictions"][0]["label"] == "cheetah"
