"""The photo's payload reproduces every map the explainer computes, at any temperature and query,
and stays small enough to ship to a class."""

import json

import numpy as np
import pytest

from cnnattn import MapRequest, load_image
from cnnattn.payload import build_payload, weights_from_payload


@pytest.fixture(scope="module")
def answer(explainer, example_photos):
    photo = load_image(example_photos["cheetah"])
    encoded = explainer.encode(photo)
    return photo, encoded, build_payload(explainer, photo, encoded)


@pytest.mark.parametrize("temperature", [0.3, 1.0, 4.0])
@pytest.mark.parametrize("query", [(0.0, 0.0), (0.31, 0.62), (1.0, 1.0)])
def test_payload_weights_equal_the_explainers_maps(explainer, answer, temperature, query):
    photo, encoded, payload = answer
    temperatures = {head.kind: temperature for head in explainer.heads}
    explanation = explainer.explain_encoded(encoded, MapRequest(queries=[query], temperatures=temperatures))
    expected = {str(m.head): m.weights for m in explanation.maps}
    seen = set()
    for entry in payload["heads"]:
        for index, head_id in enumerate(entry["ids"]):
            weights = weights_from_payload(entry, index, temperature, query)
            np.testing.assert_allclose(weights, expected[head_id], atol=1e-5)
            assert weights.sum() == pytest.approx(1.0, abs=1e-9)
            seen.add(head_id)
    assert seen == set(expected)


def test_payload_is_compact_json_with_the_predictions(explainer, answer):
    _, encoded, payload = answer
    size = len(json.dumps(payload).encode())
    assert size <= 400_000, size  # docs/BENCHMARKS.md records the size per example photo
    assert payload["predictions"][0]["label"] == "cheetah"
    assert payload["size"] == list(encoded.size)
    assert {entry["kind"] for entry in payload["heads"]} == {head.kind for head in explainer.heads}


def test_layer_and_class_change_only_their_heads(explainer, answer):
    photo, encoded, payload = answer
    other = build_payload(explainer, photo, encoded, class_index=1, layer="blocks.4")
    by_kind = {entry["kind"]: entry for entry in other["heads"]}
    assert by_kind["feature_self"]["grid"] == [2 * g for g in payload["heads"][-1]["grid"]]
    assert by_kind["feature_self"]["layer"] == "blocks.4" and by_kind["simple"]["layer"] == "final"
    class_weights = weights_from_payload(by_kind["class"], 0, 4.0)
    expected = explainer.explain_encoded(encoded, MapRequest(class_index=1)).maps[0].weights
    np.testing.assert_allclose(class_weights, expected, atol=1e-5)
    with pytest.raises(ValueError, match="outside"):
        build_payload(explainer, photo, encoded, class_index=5000)
