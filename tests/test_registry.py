"""The head registry is the one extension point: a head kind registered in this file alone shows up
in `Explainer.explain`, the CLI's JSON and the app's answer; every built-in kind, layer and Grad-CAM
works on every registered backbone (random weights: no download)."""

import json

import numpy as np
import pytest
import torch

from cnnattn import Explainer, MapRequest, load_image
from cnnattn.analysis.gradcam import gradcam_grid
from cnnattn.backbones import create_backbone
from cnnattn.heads import (
    ClassMap,
    FeatureSelfAttention,
    Head,
    HeadId,
    MapForm,
    MapOptions,
    PositionScores,
    SelfAttention,
    SelfAttentionHead,
    SimpleAttention,
    SimplePooling,
    register_head,
    unregister_head,
)
from cnnattn.image.preprocess import Preprocessing
from cnnattn.lesson import steps
from cnnattn.lesson.answer import LessonSettings, lesson_answer


class EnergyMap(Head):
    """A toy kind: positions scored by their mean feature activation (no training, no checkpoint)."""

    kind = "toy_energy"
    form = MapForm.POSITION
    order = 50

    def __init__(self, backbone):
        super().__init__(backbone, num_heads=1)

    def map_inputs(self, encoded, options: MapOptions) -> PositionScores:
        return PositionScores(encoded.features[0].mean(dim=0, keepdim=True))  # (1, h, w)


@pytest.fixture
def toy_registered():
    register_head(EnergyMap)
    yield EnergyMap
    unregister_head(EnergyMap.kind)


def test_a_registered_toy_head_is_explained(toy_registered, example_photos):
    explainer = Explainer.load(device="cpu")
    explanation = explainer.explain(example_photos["cheetah"])
    toy = [m for m in explanation.maps if m.kind == "toy_energy"]
    assert len(toy) == 1 and str(toy[0].head) == "toy_energy"
    features = explainer.encode(load_image(example_photos["cheetah"])).features[0]
    expected = torch.softmax(features.mean(0).flatten(), 0).view(features.shape[-2:]).numpy()
    np.testing.assert_allclose(toy[0].weights, expected, atol=1e-6)
    assert HeadId.parse("toy_energy") == toy[0].head


def test_a_registered_toy_head_is_in_the_cli_output(toy_registered, example_photos, tmp_path):
    from cnnattn.cli import main

    out = tmp_path / "r.jsonl"
    assert main(["explain", str(example_photos["lion"]), "--out", str(out), "--workers", "0"]) == 0
    record = json.loads(out.read_text())
    toy = [m for m in record["maps"] if m["kind"] == "toy_energy"]
    assert len(toy) == 1 and np.isclose(np.sum(toy[0]["weights"]), 1.0, atol=1e-5)
    assert main(["explain", str(example_photos["lion"]), "--temperature", "toy_energy=2", "--out", str(out)]) == 0


def test_a_registered_toy_head_is_in_the_apps_answer(toy_registered, example_photos):
    from gradio_client import Client, handle_file

    from cnnattn.webapp import app
    from tests.conftest import _free_port

    explainer = Explainer.load(device="cpu")
    demo = app.build_app(explainer)
    port = _free_port()
    app.serve(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        answer = client.predict(handle_file(str(example_photos["cheetah"])), api_name="/explain")
        assert "toy_energy" in json.dumps(answer)
    finally:
        demo.close()


# Every backbone in the registry, with random weights ------------------------------------------------


@pytest.fixture(scope="module", params=["resnet50", "convnext_tiny"])
def random_explainer(request):
    torch.manual_seed(0)
    backbone = create_backbone(request.param, pretrained=False)
    channels = backbone.num_features
    heads = [
        ClassMap(backbone),
        SimplePooling(backbone, SimpleAttention(channels, 2).eval()),
        SelfAttentionHead(backbone, SelfAttention(channels, 2, 16).eval()),
        FeatureSelfAttention(backbone),
    ]
    preprocessing = Preprocessing.from_config(backbone.data_config, backbone.stride, 160)
    return Explainer(backbone, heads, preprocessing, torch.device("cpu"))


def test_every_head_and_layer_on_every_backbone(random_explainer, example_photos):
    photo = load_image(example_photos["cheetah"])
    encoded = random_explainer.encode(photo)
    backbone = random_explainer.backbone
    assert len(backbone.layer_names()) >= 2  # the final map and at least one earlier stage
    for layer in backbone.layer_names():
        explanation = random_explainer.explain_encoded(encoded, MapRequest(queries=[(0.2, 0.7)], layer=layer))
        assert {m.kind for m in explanation.maps} == {"class", "simple", "self", "feature_self"}
        for attention_map in explanation.maps:
            assert attention_map.weights.min() >= 0
            assert attention_map.weights.sum() == pytest.approx(1.0, abs=1e-5)
            expected = encoded.layer(layer if attention_map.kind == "feature_self" else "final").shape[-2:]
            assert attention_map.weights.shape == tuple(expected)
        for head_id in steps.head_ids(random_explainer.heads):
            settings = LessonSettings(head=str(head_id), temperature=1.0, layer=layer)
            view = lesson_answer(random_explainer.heads, encoded, settings)
            assert view.weights_grid.sum() == pytest.approx(1.0, abs=1e-5)


def test_gradcam_on_every_backbone(random_explainer, example_photos):
    photo = load_image(example_photos["lion"])
    inputs = random_explainer.preprocessing(photo)[None]
    backbone = random_explainer.backbone
    for layer in [None, *backbone.stages]:  # the spec's feature layer, then every earlier stage
        cam = gradcam_grid(backbone, inputs, 291, layer)
        assert cam.shape == random_explainer.encode(photo).features.shape[-2:]
        assert cam.min() >= 0 and cam.sum() == pytest.approx(1.0, abs=1e-5)
