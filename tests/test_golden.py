"""The refactored CLI reproduces version 1's JSON lines (tests/golden/) at version 1's settings.

Deliberate changes, recorded in docs/LIBRARY.md: predictions also carry `logit`, the record names
its `calibration`, and the registry adds the feature self-attention maps (`feature_self`). The
trained heads were retrained (docs/HEADS.md), so their maps and predictions are compared by shape
only; the backbone's predictions and the training-free class map must not move.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from cnnattn.cli import main

GOLDEN = Path(__file__).parent / "golden" / "cli-v1.jsonl"
RETRAINED = ("simple", "self")  # map kinds of the heads retrained after version 1


@pytest.fixture(scope="module")
def golden_photos():
    import sklearn
    from gradio.media import get_image

    return [
        get_image("cheetah.jpg"),
        get_image("lion.jpg"),
        str(Path(sklearn.__file__).parent / "datasets/images/flower.jpg"),
    ]


def test_cli_matches_version_1_output(tmp_path, golden_photos):
    out = tmp_path / "r.jsonl"
    argv = ["explain", *golden_photos, "--query", "0.3,0.6", "--out", str(out), "--threads", "1"]
    assert main([*argv, "--short-side", "256", "--calibration", "none", "--workers", "0"]) == 0
    new = [json.loads(line) for line in out.read_text().splitlines()]
    old = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    assert [Path(r["image"]).name for r in new] == [r["image"] for r in old]
    for before, after in zip(old, new, strict=True):
        assert after["size"] == before["size"]
        assert [(p["index"], p["label"]) for p in after["predictions"]] == [
            (p["index"], p["label"]) for p in before["predictions"]
        ]
        np.testing.assert_allclose(
            [p["prob"] for p in after["predictions"]], [p["prob"] for p in before["predictions"]], atol=1e-5
        )
        maps = {m["head"]: m for m in after["maps"]}
        for old_map in before["maps"]:
            if old_map["kind"] in RETRAINED:
                continue
            new_map = maps.pop(old_map["head"])
            assert (new_map["kind"], new_map.get("query"), new_map.get("class_index")) == (
                old_map["kind"],
                old_map.get("query"),
                old_map.get("class_index"),
            )
            np.testing.assert_allclose(new_map["weights"], old_map["weights"], atol=1e-5)
        for kind in RETRAINED:  # present, with their query, each a distribution of the old grid's size
            old_maps = [m for m in before["maps"] if m["kind"] == kind]
            new_maps = [maps.pop(m["head"]) for m in list(maps.values()) if m["kind"] == kind]
            assert new_maps and {m.get("query") and tuple(m["query"]) for m in new_maps} == {
                m.get("query") and tuple(m["query"]) for m in old_maps
            }
            for new_map in new_maps:
                weights = np.asarray(new_map["weights"])
                assert weights.shape == np.asarray(old_maps[0]["weights"]).shape
                assert abs(weights.sum() - 1) < 1e-4
        assert {m["kind"] for m in maps.values()} == {"feature_self"}  # the one deliberate addition
        assert after["head_predictions"].keys() >= before["head_predictions"].keys()
        assert after["calibration"].startswith("none")
