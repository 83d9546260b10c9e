"""The Lesson tab's endpoints on the real server, called the way scripts call them."""

import numpy as np
import pytest
from gradio_client import Client, handle_file

SETTINGS = dict(
    head="class",
    temperature=4.0,
    query_x=0.5,
    query_y=0.5,
    colormap="inferno",
    opacity=0.5,
    shared_scale=False,
    share=0.5,
    top_k=5,
    class_index=-1,
    layer="final",
    language="en",
)


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False, download_files=False)


def weights(outputs) -> np.ndarray:
    table = outputs[6]  # head, step 1 text, step 1 image, scores, step 2 text, step 2 image, weights, ...
    return np.array([row[1:] for row in table["data"]], dtype=float)


def test_lesson_then_rerender_by_key(client, example_photos):
    key, example, *view = client.predict(handle_file(str(example_photos["cheetah"])), **SETTINGS, api_name="/lesson")
    assert len(key) == 64 and example is None
    warm = weights(view)
    assert warm.sum() == pytest.approx(1.0, abs=warm.size * 5e-5)
    assert "cheetah" in view[0]
    hot = weights(client.predict(key, **dict(SETTINGS, temperature=12.0), api_name="/lesson_render"))
    assert hot.sum() == pytest.approx(1.0, abs=hot.size * 5e-5)
    assert hot.max() < warm.max()
    zh = client.predict(key, **dict(SETTINGS, language="zh"), api_name="/lesson_render")
    assert "第 1 步" in zh[1] and "猎豹" in str(zh[10]["data"])


def test_bad_settings_and_unknown_keys_get_clear_errors(client, example_photos):
    key = client.predict(handle_file(str(example_photos["lion"])), **SETTINGS, api_name="/lesson")[0]
    with pytest.raises(Exception, match="simple/99"):
        client.predict(key, **dict(SETTINGS, head="simple/99"), api_name="/lesson_render")
    with pytest.raises(Exception, match="less than minimum value"):
        client.predict(key, **dict(SETTINGS, temperature=0.0), api_name="/lesson_render")
    with pytest.raises(Exception, match="no longer cached"):
        client.predict("0" * 64, **SETTINGS, api_name="/lesson_render")


def test_class_picker_rerenders_by_key(client, example_photos):
    key, _, *top1 = client.predict(handle_file(str(example_photos["lion"])), **SETTINGS, api_name="/lesson")
    tabby = client.predict(key, **dict(SETTINGS, class_index=281), api_name="/lesson_render")
    assert "tabby" in tabby[0] and "lion" in top1[0]
    assert weights(tabby).sum() == pytest.approx(1.0, abs=weights(tabby).size * 5e-5)
    assert not np.allclose(weights(tabby), weights(top1))
    assert "cls=281" in tabby[-1]


def test_layer_choice_rerenders_feature_self_attention_by_key(client, example_photos):
    key = client.predict(handle_file(str(example_photos["cheetah"])), **SETTINGS, api_name="/lesson")[0]
    self_head = dict(SETTINGS, head="feature_self", temperature=1.0)
    last = weights(client.predict(key, **self_head, api_name="/lesson_render"))
    stage = client.predict(key, **dict(self_head, layer="blocks.4"), api_name="/lesson_render")
    assert weights(stage).shape == (2 * last.shape[0], 2 * last.shape[1])  # stride 16 against 32
    assert weights(stage).sum() == pytest.approx(1.0, abs=weights(stage).size * 5e-5)
    assert "layer=blocks.4" in stage[-1] and "blocks.4" in stage[0]
