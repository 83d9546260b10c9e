"""Training: labelled-folder discovery, the held-out split, and a tiny real run that is
reproducible with the same seed and resumes exactly where it was interrupted."""

from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from cnnattn.training import train as train_module
from cnnattn.training.data import DatasetError, file_list_sha256, find_labelled_images, split_held_out
from cnnattn.training.train import TrainConfig, train

from .conftest import IMAGENET_SAMPLES, require_shared


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: much faster than two on a machine that other jobs keep busy; restored after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _write_image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 32), (120, 30, 200)).save(path)


def test_flat_wnid_folder_and_image_folder_tree_give_imagenet_indices(tmp_path):
    _write_image(tmp_path / "flat" / "n01440764_tench.JPEG")
    _write_image(tmp_path / "flat" / "n15075141_toilet_tissue.JPEG")
    _write_image(tmp_path / "tree" / "n01443537" / "a.png")
    _write_image(tmp_path / "tree" / "7" / "b.jpg")
    flat = find_labelled_images(tmp_path / "flat")
    assert [(p.path.name, p.class_index) for p in flat] == [
        ("n01440764_tench.JPEG", 0),
        ("n15075141_toilet_tissue.JPEG", 999),
    ]
    assert sorted(p.class_index for p in find_labelled_images(tmp_path / "tree")) == [1, 7]
    assert len(file_list_sha256(flat, tmp_path / "flat")) == 64


def test_unlabelled_or_empty_folders_are_rejected_with_a_fix(tmp_path):
    _write_image(tmp_path / "photo.jpg")
    with pytest.raises(DatasetError, match="wnid"):
        find_labelled_images(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no images"):
        find_labelled_images(tmp_path / "empty")
    with pytest.raises(DatasetError, match="not a folder"):
        find_labelled_images(tmp_path / "missing")


def test_split_is_seeded_disjoint_and_complete():
    train_ids, held = split_held_out(100, 0.3, seed=5)
    assert (train_ids, held) == split_held_out(100, 0.3, seed=5)
    assert len(held) == 30 and not set(train_ids) & set(held) and sorted(train_ids + held) == list(range(100))
    assert held != split_held_out(100, 0.3, seed=6)[1]
    with pytest.raises(ValueError, match="fraction"):
        split_held_out(10, 1.5, seed=0)


def _tiny_config(tmp_path, kind="simple", **overrides):
    settings = dict(
        data=require_shared(IMAGENET_SAMPLES),
        kind=kind,
        max_images=6,
        held_out=0.34,
        views=2,
        epochs=2,
        batch_size=4,
        seed=3,
        device="cpu",
        cache_dir=tmp_path / "cache",
        out_dir=tmp_path / "out",
    )
    return TrainConfig(**(settings | overrides))


def _weights(config):
    return load_file(str(Path(config.out_dir) / f"{config.backbone}-{config.kind}.safetensors"))


def test_tiny_training_is_reproducible_and_resumes_exactly(tmp_path, monkeypatch):
    first = _tiny_config(tmp_path, out_dir=tmp_path / "a")
    card = train(first)
    assert card["head_config"] == {"num_heads": 4}
    assert card["data"]["count"] == 6 and card["data"]["split"]["held_out_images"] == 2
    assert len(card["training"]["history"]) == 2
    # Same seed, fresh run state (the feature cache is reused): identical weights.
    again = _tiny_config(tmp_path, out_dir=tmp_path / "b", cache_dir=tmp_path / "cache")
    for path in (tmp_path / "cache" / "runs").glob("*.pt"):
        path.unlink()
    train(again)
    for name, tensor in _weights(first).items():
        torch.testing.assert_close(_weights(again)[name], tensor, rtol=0, atol=0)

    # Interrupt after the first epoch's state is saved, then resume: same weights as uninterrupted.
    for path in (tmp_path / "cache" / "runs").glob("*.pt"):
        path.unlink()
    real_score = train_module.score_held_out
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_score(*args, **kwargs)

    monkeypatch.setattr(train_module, "score_held_out", interrupted)
    resumed = _tiny_config(tmp_path, out_dir=tmp_path / "c", resume=True)
    with pytest.raises(KeyboardInterrupt):
        train(resumed)
    monkeypatch.setattr(train_module, "score_held_out", real_score)
    card = train(resumed)
    assert [h["epoch"] for h in card["training"]["history"]] == [1, 2]
    for name, tensor in _weights(first).items():
        torch.testing.assert_close(_weights(resumed)[name], tensor, rtol=0, atol=0)


def test_self_attention_starts_as_identity_and_trains(tmp_path, explainer):
    config = _tiny_config(tmp_path, kind="self", head_dim=8, epochs=1)
    head = train_module.build_head(config, explainer.backbone)
    assert head.module.out_conv.weight.abs().sum() == 0  # residual starts at the backbone's own output
    card = train(config)
    assert card["head_config"] == {"num_heads": 4, "head_dim": 8}
    assert _weights(config)["out_conv.weight"].abs().sum() > 0
