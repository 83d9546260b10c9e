"""Faults: missing or corrupt checkpoints, missing backbone weights offline, GPU out of memory, no GPU."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from gradio_client import Client, handle_file

from cnnattn import Explainer
from cnnattn.backbones import BackboneUnavailable, create_backbone
from cnnattn.heads.checkpoints import checkpoint_paths
from cnnattn.webapp import app
from tests.conftest import _free_port

ROOT = Path(__file__).resolve().parents[1]


def run_app(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "app.py", "--port", str(_free_port()), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_missing_and_corrupt_checkpoints_become_notes_and_the_app_still_serves(tmp_path, example_photos):
    weights, card = checkpoint_paths(tmp_path, "efficientnet_lite0", "simple")
    weights.write_bytes(b"not a safetensors file")
    card.write_text('{"backbone": "efficientnet_lite0", "head_config": {}}')
    # No self-attention checkpoint at all.
    explainer = Explainer.load(device="cpu", checkpoint_dir=tmp_path)
    assert any("unreadable or corrupt" in note for note in explainer.notes)
    assert any("No trained self head" in note for note in explainer.notes)

    demo = app.build_app(explainer)
    port = _free_port()
    app.serve(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        predictions, payload, notes = client.predict(handle_file(str(example_photos["cheetah"])), api_name="/explain")
        assert predictions["label"] == "cheetah"
        assert payload["heads"][0]["kind"] == "class"  # the backbone's own class map needs no head
        assert "unreadable or corrupt" in notes and "No trained self head" in notes
    finally:
        demo.close()


def _resnet50_cached() -> bool:
    import timm
    from huggingface_hub import try_to_load_from_cache

    repo = timm.models.get_pretrained_cfg("resnet50").hf_hub_id
    return any(isinstance(try_to_load_from_cache(repo, f), str) for f in ("model.safetensors", "pytorch_model.bin"))


def test_missing_backbone_weights_offline_is_one_sentence(tmp_path):
    if _resnet50_cached():
        pytest.skip("resnet50 weights are in this machine's Hugging Face cache")
    with pytest.raises(BackboneUnavailable, match=r"--weights PATH"):
        create_backbone("resnet50")
    result = run_app("--backbone", "resnet50", env={"HF_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("cnnattn: Pretrained weights for resnet50") and "--weights" in lines[-1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_no_gpu_is_one_sentence():
    result = run_app("--device", "cuda")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "cnnattn: --device cuda was requested but no CUDA GPU is available; use --device cpu."
    )


def _out_of_memory(*args, **kwargs):
    raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


@pytest.mark.parametrize("stage", ["predictions", "encode"])
def test_gpu_out_of_memory_is_a_clear_error_and_the_server_keeps_serving(
    app_url, explainer, example_photos, monkeypatch, tmp_path, stage
):
    client = Client(app_url, verbose=False)
    # A photo this server has not encoded yet, so the encode stage really runs.
    photo = tmp_path / f"{stage}.jpg"
    from tests.hostile_images import cheetah, encode

    photo.write_bytes(encode(cheetah((400 + len(stage), 300)), "JPEG"))
    with monkeypatch.context() as patch:
        patch.setattr(explainer, stage, _out_of_memory)  # the simulated fault, in the server's own explainer
        with pytest.raises(Exception, match="ran out of GPU memory") as info:
            client.predict(handle_file(str(photo)), api_name="/explain")
        assert "Tried to allocate" not in str(info.value)  # no raw exception text
    predictions, *_ = client.predict(handle_file(str(photo)), api_name="/explain")
    assert predictions["label"] == "cheetah"  # the failed encoding was not cached
