"""Shipped checkpoints load and give informative maps; bad checkpoints fail with one clear sentence
and the explainer still serves the class map."""

import json
import math
import shutil

import pytest
import torch

from cnnattn import Explainer, MapRequest
from cnnattn.heads import SelfAttention, SimpleAttention
from cnnattn.heads.checkpoints import DEFAULT_CHECKPOINT_DIR, CheckpointError, load_head, save_head

BACKBONE = "efficientnet_lite0"
SHIPPED = [(DEFAULT_CHECKPOINT_DIR / f"{BACKBONE}-{kind}.safetensors", kind) for kind in ("simple", "self")]


@pytest.mark.parametrize("path, kind", SHIPPED)
def test_shipped_checkpoint_has_a_complete_card(path, kind):
    if not path.is_file():
        pytest.fail(f"{path.name} is not shipped; run `python -m cnnattn train ../shared/data/imagenet-samples`")
    card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert card["backbone"] == BACKBONE and card["kind"] == kind
    assert set(card["head_config"]) >= ({"num_heads"} if kind == "simple" else {"num_heads", "head_dim"})
    assert {"folder", "count", "split", "file_list_sha256"} <= set(card["data"])
    settings = card["training"]["settings"]
    assert settings["epochs"] > 0 and "seed" in settings and card["training"]["train_seconds"] > 0
    held_out = card["metrics"]["held_out"]["summary"]
    assert {"top1", kind} <= set(held_out)
    if kind == "simple":
        assert "Grad-CAM (reference)" in held_out["insertion_deletion"]
    assert path.stat().st_size < 8 * 2**20


def test_shipped_heads_load_and_give_distributions_that_are_not_uniform(explainer, example_photos):
    assert explainer.notes == ()
    # The query sits on the cheetah: rows queried on plain background are close to uniform by design
    # (they spread over the whole scene), so they are not held to this test.
    explanation = explainer.explain(example_photos["cheetah"], MapRequest(queries=[(0.5, 0.5)]))
    assert {"simple", "self"} <= set(explanation.head_predictions)
    assert explanation.head_predictions["simple"][0].index == explanation.head_predictions["self"][0].index == 293
    learned = [m for m in explanation.maps if m.kind in ("simple", "self")]
    assert len(learned) == explainer.head("simple").num_heads + explainer.head("self").num_heads
    for attention in learned:
        weights = torch.from_numpy(attention.weights).double()
        assert weights.min() >= 0
        assert weights.sum().item() == pytest.approx(1.0, abs=1e-4)
        entropy = -(weights * weights.clamp_min(1e-30).log()).sum().item()
        assert entropy < math.log(weights.numel()) - 0.05, f"{attention.head} is (nearly) uniform"


@pytest.fixture
def checkpoint_copy(tmp_path):
    for kind in ("simple", "self"):
        for suffix in (".safetensors", ".json"):
            source = DEFAULT_CHECKPOINT_DIR / f"{BACKBONE}-{kind}{suffix}"
            if not source.is_file():
                pytest.skip(f"{source.name} is not shipped yet")
            shutil.copy(source, tmp_path / source.name)
    return tmp_path


def _corrupt_weights(directory):
    (directory / f"{BACKBONE}-simple.safetensors").write_bytes(b"not a safetensors file")


def _corrupt_card(directory):
    (directory / f"{BACKBONE}-simple.json").write_text("{ truncated", encoding="utf-8")


def _other_backbone(directory):
    card_path = directory / f"{BACKBONE}-simple.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card_path.write_text(json.dumps(card | {"backbone": "resnet50"}), encoding="utf-8")


def _wrong_shape(directory):
    card_path = directory / f"{BACKBONE}-simple.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card_path.write_text(json.dumps(card | {"head_config": {"num_heads": 3}}), encoding="utf-8")


def _missing(directory):
    (directory / f"{BACKBONE}-simple.safetensors").unlink()


@pytest.mark.parametrize(
    "damage, message",
    [
        (_corrupt_weights, "unreadable or corrupt"),
        (_corrupt_card, "unreadable or corrupt"),
        (_other_backbone, "was trained for 'resnet50'"),
        (_wrong_shape, "does not fit"),
        (_missing, "No trained simple head"),
    ],
)
def test_bad_checkpoint_is_one_sentence_and_the_explainer_still_works(checkpoint_copy, damage, message, example_photos):
    damage(checkpoint_copy)
    with pytest.raises(CheckpointError, match=message) as error:
        load_head(checkpoint_copy, BACKBONE, "simple", SimpleAttention, 1280)
    text = str(error.value)
    assert text.endswith((".", ").")) and text.count(". ") == 0 and "\n" not in text

    explainer = Explainer.load(device="cpu", checkpoint_dir=checkpoint_copy)
    assert len(explainer.notes) == 1 and message.split("'")[0] in explainer.notes[0]
    (chinese,) = explainer.notes_text("zh")  # the app's notes follow its language switch
    assert chinese != explainer.notes[0] and any("\u4e00" <= c <= "\u9fff" for c in chinese)
    assert explainer.head("simple") is None and explainer.head("self") is not None
    kinds = {m.kind for m in explainer.explain(example_photos["cheetah"]).maps}
    assert kinds == {"class", "self", "feature_self"}


@pytest.mark.parametrize(
    "head, kind, config",
    [
        (SimpleAttention(16, 2), "simple", {"num_heads": 2}),
        (SelfAttention(16, 2, 4), "self", {"num_heads": 2, "head_dim": 4}),
    ],
)
def test_save_and_load_round_trip(tmp_path, head, kind, config):
    save_head(tmp_path, "tiny", kind, head, {"backbone": "tiny", "head_config": config})
    loaded = load_head(tmp_path, "tiny", kind, type(head), 16).head
    for name, tensor in head.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[name], tensor)
    assert not loaded.training
