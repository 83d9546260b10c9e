"""Training: labelled-folder discovery, the fixed split, the objectives' maths, feature mosaics, and
a tiny real run that is reproducible with the same seed and writes a loadable checkpoint."""

import json
import math
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from cnnattn.heads.modules import SimpleAttention
from cnnattn.training import objectives as O
from cnnattn.training.data import (
    DatasetError,
    crop_features,
    default_cache_dir,
    file_list_sha256,
    find_labelled_images,
    mosaic,
    split_indices,
)
from cnnattn.training.simple_objective import SimpleObjective
from cnnattn.training.splits import split_of
from cnnattn.training.train import TrainConfig, objective_for, parse_settings, train_kind

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
    assert [(p.path.name, p.class_index, p.name) for p in flat] == [
        ("n01440764_tench.JPEG", 0, "n01440764_tench.JPEG"),
        ("n15075141_toilet_tissue.JPEG", 999, "n15075141_toilet_tissue.JPEG"),
    ]
    tree = find_labelled_images(tmp_path / "tree")
    assert sorted((p.class_index, p.name) for p in tree) == [(1, "n01443537/a.png"), (7, "7/b.jpg")]
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


def test_training_uses_the_fixed_name_split(tmp_path):
    for i in range(30):
        _write_image(tmp_path / f"n01440764_{i}.JPEG")
    images = find_labelled_images(tmp_path)
    groups = split_indices(images)
    assert sorted(sum(groups.values(), [])) == list(range(30))
    for split, members in groups.items():
        assert all(split_of(images[i].name) == split for i in members)


def test_cache_dir_defaults_to_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "cnnattn"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "cnnattn"


def test_divergence_entropy_and_peak_terms():
    uniform = torch.full((1, 2, 8), 1 / 8)
    assert O.pairwise_js(uniform).item() == pytest.approx(0.0, abs=1e-6)
    disjoint = torch.zeros(1, 2, 8)
    disjoint[0, 0, :4] = 0.25
    disjoint[0, 1, 4:] = 0.25
    assert O.pairwise_js(disjoint).item() == pytest.approx(math.log(2), abs=1e-5)
    assert O.diversity(disjoint, 0.3).item() == 0.0 and O.diversity(uniform, 0.3).item() == pytest.approx(0.3)
    assert O.entropy_ratio(uniform).flatten().tolist() == pytest.approx([1.0, 1.0])
    assert O.entropy_ratio(disjoint).flatten().tolist() == pytest.approx([2 / 3, 2 / 3])
    assert O.entropy_excess(uniform, 0.7).item() == pytest.approx(0.3)
    one_hot = torch.zeros(1, 1, 8)
    one_hot[0, 0, 3] = 1.0
    assert O.peak_excess(one_hot, 0.5).item() == pytest.approx(0.5) and O.peak_excess(uniform, 0.5).item() == 0.0


def test_matching_pairs_each_head_with_the_tile_it_classifies():
    logits = torch.full((1, 3, 5), -10.0)
    logits[0, 0, 4] = logits[0, 1, 1] = logits[0, 2, 2] = 10.0  # head 0 says class 4, head 1 class 1, head 2 class 2
    loss, best = O.matched_cross_entropy(logits, torch.tensor([[1, 2, 4]]))
    assert sorted(best[0].tolist()) == [[0, 2], [1, 0], [2, 1]] and loss.item() < 1e-3
    # Fewer heads than tiles: every head gets a distinct tile; soft targets work the same way.
    soft = torch.nn.functional.one_hot(torch.tensor([[1, 3, 4, 2]]), 5).float()
    loss, best = O.matched_cross_entropy(logits[:, :2], soft)
    assert sorted(best[0].tolist()) == [[0, 2], [1, 0]] and loss.item() < 1e-3


def test_mosaic_tiles_and_own_tile_loss():
    tiles = torch.arange(4.0).view(1, 4, 1, 1, 1).expand(1, 4, 1, 2, 2)  # tile t is filled with t
    m = mosaic(tiles, torch.tensor([[5, 6, 7, 8]]), rows=2, cols=2)
    assert m.features.shape == (1, 1, 4, 4)
    assert torch.equal(m.features[0, 0].flatten().long(), m.tile_of_cell)  # every cell knows its tile
    uniform = torch.full((1, 1, 16, 16), 1 / 16)
    assert O.own_tile(uniform, m.tile_of_cell, 4).item() == pytest.approx(math.log(4))
    own = (m.tile_of_cell[:, None] == m.tile_of_cell[None, :]).float()
    assert O.own_tile((own / own.sum(-1, keepdim=True))[None, None], m.tile_of_cell, 4).item() == pytest.approx(0.0)
    cropped = crop_features(torch.zeros(2, 3, 8, 10), torch.Generator().manual_seed(0))
    assert cropped.shape[:2] == (2, 3) and 6 <= cropped.shape[2] <= 8 and 7 <= cropped.shape[3] <= 10


def test_settings_override_the_chosen_objective():
    objective = objective_for("simple", parse_settings(["num_heads=2", 'mosaic_layouts=["2x2"]']))
    assert objective.num_heads == 2 and objective.mosaic_layouts == ("2x2",)
    with pytest.raises(ValueError, match="Unknown simple setting"):
        objective_for("simple", {"nonsense": 1})


def test_tiny_training_is_reproducible_and_loads(tmp_path):
    data = require_shared(IMAGENET_SAMPLES)
    objective = SimpleObjective(num_heads=2, hidden=8, epochs=1, batch_size=4, mosaic_weight=1.0, diversity_weight=1.0)
    common, quiet = dict(max_images=12, cache_dir=tmp_path / "cache", device="cpu"), dict(log=lambda text: None)
    _, card = train_kind("simple", objective, TrainConfig(data, out_dir=tmp_path / "a", **common), **quiet)
    assert card["head_config"] == {"num_heads": 2, "hidden": 8}
    assert (
        card["data"]["count"] == 12
        and sum(card["data"]["split"][f"{s}_images"] for s in ("train", "validation", "held_out")) == 12
    )
    # features now come from the cache
    train_kind("simple", objective, TrainConfig(data, out_dir=tmp_path / "b", **common), **quiet)
    first = load_file(str(tmp_path / "a" / "efficientnet_lite0-simple.safetensors"))
    again = load_file(str(tmp_path / "b" / "efficientnet_lite0-simple.safetensors"))
    for name, tensor in first.items():
        torch.testing.assert_close(again[name], tensor, rtol=0, atol=0)
    config = json.loads((tmp_path / "a" / "efficientnet_lite0-simple.json").read_text())["head_config"]
    module = SimpleAttention(1280, **config)
    module.load_state_dict(first)  # the shipped module type loads what training wrote
