"""Classroom-mode maths against direct formulas: readouts, lesson steps, link state, strings."""

import copy
import math
import string
from urllib.parse import parse_qsl

import numpy as np
import pytest
import torch

from cnnattn.analysis import readouts
from cnnattn.analysis.faithfulness import deletion_curve
from cnnattn.analysis.gradcam import gradcam_grid
from cnnattn.analysis.occlusion import occlude
from cnnattn.heads import ClassAttention, HeadId, SelfAttention, SelfAttentionHead, SimpleAttention, SimplePooling
from cnnattn.i18n import STRINGS, resolve_language, text
from cnnattn.lesson import steps as lesson
from cnnattn.lesson.answer import LessonSettings, cell_query, lesson_answer, link_params, parse_params


def random_map(shape=(6, 9), seed=0, sharpness=3.0):
    logits = np.random.default_rng(seed).normal(size=shape) * sharpness
    weights = np.exp(logits - logits.max())
    return weights / weights.sum()


# Readouts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (7, 7), (8, 12)])
def test_uniform_map_has_every_position_effective(shape):
    uniform = np.full(shape, 1.0 / np.prod(shape))
    assert readouts.entropy(uniform) == pytest.approx(math.log(np.prod(shape)))
    assert readouts.effective_positions(uniform) == pytest.approx(np.prod(shape))


def test_one_hot_map_has_one_effective_position_and_full_top1_mass():
    one_hot = np.zeros((5, 5))
    one_hot[2, 3] = 1.0
    assert readouts.entropy(one_hot) == 0.0
    assert readouts.effective_positions(one_hot) == 1.0
    assert readouts.top_k_mass(one_hot, 1) == 1.0
    region = readouts.smallest_region(one_hot, 0.99)
    assert region.sum() == 1 and region[2, 3]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
def test_smallest_region_holds_the_share_and_no_smaller_set_does(seed, share):
    weights = random_map(seed=seed)
    region = readouts.smallest_region(weights, share)
    count = int(region.sum())
    assert weights[region].sum() >= share - 1e-9
    # Direct reference: the heaviest count-1 positions hold less than the share.
    heaviest = np.sort(weights.ravel())[::-1]
    assert heaviest[: count - 1].sum() < share
    assert readouts.top_k_mass(weights, count) == pytest.approx(weights[region].sum())


def test_entropy_matches_the_direct_formula():
    weights = random_map(seed=3, sharpness=1.0)
    assert readouts.entropy(weights) == pytest.approx(float(-(weights * np.log(weights)).sum()))


def test_spearman_matches_pearson_of_ranks_and_top_k_overlap():
    a, b = random_map(seed=1), random_map(seed=2)
    ranks_a = np.argsort(np.argsort(a.ravel()))
    ranks_b = np.argsort(np.argsort(b.ravel()))
    assert readouts.spearman(a, b) == pytest.approx(np.corrcoef(ranks_a, ranks_b)[0, 1])
    assert readouts.spearman(a, a) == pytest.approx(1.0)
    assert readouts.spearman(a, -a) == pytest.approx(-1.0)
    assert readouts.top_k_overlap(a, a, 5) == 1.0
    assert readouts.top_k_overlap(a, 1 - a, 5) == 0.0


@pytest.mark.parametrize("language", ["en", "zh"])
def test_summary_names_the_place_of_the_mass(language):
    weights = np.full((6, 6), 1e-6)
    weights[0, 5] = 1.0  # top right corner
    weights /= weights.sum()
    sentence = readouts.summary(readouts.read(weights, 0.5), language)
    assert ("upper right" if language == "en" else "右上部") in sentence
    assert "1" in sentence and "36" in sentence


# Lesson steps on real features ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def encoded(explainer, example_photos):
    from cnnattn import load_image

    return explainer.encode(load_image(example_photos["cheetah"]))


@pytest.fixture(scope="module")
def features(encoded):
    return encoded.features


@pytest.fixture(scope="module")
def trained_like(explainer):
    """The real backbone with seeded SimpleAttention (2 heads) and SelfAttention (2 heads) heads."""
    torch.manual_seed(0)
    channels = explainer.backbone.num_features
    simple = SimplePooling(explainer.backbone, SimpleAttention(channels, 2).eval())
    self_head = SelfAttentionHead(explainer.backbone, SelfAttention(channels, 2, 16).eval())
    return {"simple": simple, "self": self_head}


@pytest.mark.parametrize("temperature", [0.5, 1.0, 4.0])
def test_class_lesson_matches_the_class_map(explainer, encoded, features, temperature):
    class_map = explainer.head("class")
    step = lesson.pooling_lesson(class_map, 0, encoded, temperature)
    assert step.class_index == int(encoded.logits.argmax())
    with torch.inference_mode():
        attention = ClassAttention.from_linear(explainer.backbone.classifier)
        expected = attention(features, torch.tensor([step.class_index]), temperature)[0]
    np.testing.assert_allclose(step.weights, expected.numpy(), atol=1e-6)
    assert step.weights.sum() == pytest.approx(1.0, abs=1e-5)
    # Step 2 from step 1 by the direct formula.
    direct = np.exp((step.scores - step.scores.max()) / temperature)
    np.testing.assert_allclose(step.weights, direct / direct.sum(), atol=1e-6)


def test_class_lesson_at_high_temperature_is_average_pooling(explainer, encoded):
    step = lesson.pooling_lesson(explainer.head("class"), 0, encoded, 1e6)
    np.testing.assert_allclose(step.weights, 1.0 / step.weights.size, rtol=1e-3)
    np.testing.assert_allclose(step.logits, step.average_logits, atol=1e-3)


def test_simple_lesson_step3_is_the_heads_pooled_output(trained_like, encoded, features):
    head = trained_like["simple"]
    with torch.inference_mode():
        pooled, weights = head.module(features, 2.0)  # (1, K, C), (1, K, H, W)
    for k in range(2):
        step = lesson.pooling_lesson(head, k, encoded, 2.0)
        np.testing.assert_allclose(step.weights, weights[0, k].detach().numpy(), atol=1e-6)
        np.testing.assert_allclose(step.pooled, pooled[0, k].detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("query", [(0.0, 0.0), (0.31, 0.62), (1.0, 1.0)])
def test_query_lesson_is_the_heads_softmax_row(trained_like, encoded, features, query):
    head = trained_like["self"]
    with torch.inference_mode():
        _, weights = head.module(features, 1.5)  # (1, heads, HW, HW)
    H, W = features.shape[-2:]
    for index in range(2):
        step = lesson.query_lesson(head, index, encoded, query, 1.5)
        row, col = step.cell
        expected = weights[0, index, row * W + col].detach().numpy().reshape(H, W)
        np.testing.assert_allclose(step.weights, expected, atol=1e-6)
        np.testing.assert_allclose(step.scaled, step.dots / math.sqrt(16), rtol=1e-5, atol=1e-6)
        assert step.weights.sum() == pytest.approx(1.0, abs=1e-5)


def test_feature_self_attention_is_softmax_of_scaled_feature_products(explainer, encoded, features):
    step = lesson.query_lesson(explainer.head("feature_self"), 0, encoded, (0.5, 0.5), 2.0)
    x = features[0].flatten(1).T.double()  # (HW, C)
    i = step.cell[0] * features.shape[-1] + step.cell[1]
    scores = (x @ x[i]) / math.sqrt(x.shape[1]) / 2.0
    np.testing.assert_allclose(step.weights.ravel(), torch.softmax(scores, 0).numpy(), atol=1e-5)
    np.testing.assert_allclose(step.mixed, (torch.softmax(scores, 0) @ x).numpy(), rtol=1e-4, atol=1e-4)


def test_unknown_head_and_bad_temperature_are_refused(explainer, encoded):
    with pytest.raises(ValueError, match="choose one of"):
        lesson.find_head(explainer.heads, HeadId("simple", 99))
    with pytest.raises(ValueError, match="Unknown head"):
        HeadId.parse("evil/0")
    with pytest.raises(ValueError, match="positive"):
        lesson.pooling_lesson(explainer.head("class"), 0, encoded, 0.0)
    with pytest.raises(ValueError, match="not a pooling head"):
        lesson.pooling_lesson(explainer.head("self"), 0, encoded, 1.0)


def _state(model):
    return {name: tensor.clone() for name, tensor in model.state_dict().items()}


def test_sanity_check_changes_the_map_and_never_the_shared_model(explainer, trained_like, encoded):
    before = [_state(trained_like["simple"]), _state(trained_like["self"]), _state(explainer.backbone)]
    class_map = explainer.head("class")
    real = lesson.pooling_lesson(class_map, 0, encoded, 4.0).weights
    random = lesson.randomised_weights(class_map, 0, encoded, lesson.MapSettings(4.0))
    assert readouts.spearman(real, random) < 0.9
    for head, index in [(trained_like["simple"], 1), (trained_like["self"], 1), (explainer.head("feature_self"), 0)]:
        real = lesson.lesson_weights(head, index, encoded, lesson.MapSettings(1.0, query=(0.3, 0.3)))
        random = lesson.randomised_weights(head, index, encoded, lesson.MapSettings(1.0, query=(0.3, 0.3)))
        assert not np.allclose(real, random) and random.sum() == pytest.approx(1.0, abs=1e-5)
    after = [_state(trained_like["simple"]), _state(trained_like["self"]), _state(explainer.backbone)]
    assert all(torch.equal(b[name], a[name]) for b, a in zip(before, after, strict=True) for name in b)


def test_gradcam_leaves_the_shared_model_as_it_was(explainer, example_photos):
    from cnnattn import load_image

    model = explainer.backbone
    photo = load_image(example_photos["cheetah"])
    inputs = explainer.preprocessing(photo)[None]
    before = _state(model)
    hooks = [len(m._forward_hooks) + len(m._backward_hooks) for m in model.modules()]
    cam = gradcam_grid(explainer.backbone, inputs, 293)
    encoded = explainer.encode(photo)
    assert cam.shape == encoded.features.shape[-2:]
    assert cam.sum() == pytest.approx(1.0, abs=1e-5)
    assert all(torch.equal(before[n], t) for n, t in model.state_dict().items())
    assert [len(m._forward_hooks) + len(m._backward_hooks) for m in model.modules()] == hooks
    assert not any(p.requires_grad for p in model.parameters())
    # Grad-CAM of the cheetah class and the cheetah class map agree on where the cheetah is.
    class_map = lesson.pooling_lesson(explainer.head("class"), 0, encoded, 4.0, 293).weights
    assert readouts.spearman(cam, class_map) > 0.3


def test_occlusion_covers_exactly_the_masked_cells(explainer):
    inputs = torch.ones(1, 3, 64, 96)
    mask = np.zeros((2, 3), dtype=bool)
    mask[1, 2] = True
    covered = occlude(inputs, mask)
    assert covered[..., 32:, 64:].abs().sum() == 0
    assert covered[..., :32, :].eq(1).all() and covered[..., :, :64].eq(1).all()


@pytest.mark.slow
def test_deletion_curve_starts_at_the_prediction_and_attention_order_hurts_more(explainer, example_photos):
    from cnnattn import load_image

    photo = load_image(example_photos["cheetah"])
    inputs = explainer.preprocessing(photo)[None]
    encoded = explainer.encode(photo)
    class_map = explainer.head("class")
    weights = lesson.pooling_lesson(class_map, 0, encoded, 4.0, 293).weights
    curve = deletion_curve(explainer.backbone, inputs, weights, 293, steps=8)
    assert curve.attention[0] == pytest.approx(float(encoded.logits.softmax(-1)[0, 293]), abs=1e-4)
    assert curve.attention[0] == curve.random[0]
    assert curve.attention_area < curve.random_area


@pytest.mark.slow
def test_lesson_deletion_area_equals_the_evaluations_for_the_same_photo(explainer, example_photos):
    """One implementation: the lesson's deletion curve of a map and `cnnattn evaluate`'s RISE deletion
    AUC for the same map, photo, class and steps are the same number."""
    from cnnattn import load_image
    from cnnattn.analysis.faithfulness import PerturbationSetup, curves_of
    from cnnattn.maps import upsample

    photo = load_image(example_photos["lion"])
    inputs = explainer.preprocessing(photo)[None]
    encoded = explainer.encode(photo)
    class_map = explainer.head("class")
    weights = lesson.pooling_lesson(class_map, 0, encoded, 4.0, 291).weights
    curve = deletion_curve(explainer.backbone, inputs, weights, 291, steps=8)
    setup = PerturbationSetup.create(explainer.backbone, inputs[0], 291)
    H, W = inputs.shape[-2:]
    evaluated = curves_of(setup, torch.from_numpy(upsample(weights, H, W)), steps=8)
    assert curve.attention_area == pytest.approx(evaluated.deletion_auc, abs=1e-9)


# View: settings, links, strings --------------------------------------------------------------------


def test_link_round_trips_the_settings():
    heads = ["class", "feature_self"]
    settings = LessonSettings("feature_self", 2.5, (0.3, 0.6), "viridis", 0.7, True, 0.8, 7, "zh", 291, "blocks.4")
    params = dict(parse_qsl(link_params(settings, "cheetah")))  # as the server decodes the page's query
    layers = ["final", "blocks.4"]
    restored, example = parse_params(params, LessonSettings(), heads, ["cheetah", "lion"], layers)
    assert example == "cheetah"
    assert restored == settings


def test_bad_link_values_are_ignored_not_fatal():
    params = {"head": "evil", "t": "nan", "qx": "2", "cmap": "jet;", "k": "x", "lang": "fr", "example": "../etc"}
    params.update(cls="1000", layer="blocks.99")
    restored, example = parse_params(params, LessonSettings(), ["class"], ["cheetah"])
    assert restored == LessonSettings() and example is None


def test_table_click_selects_the_cell_centre():
    assert cell_query(0, 0, (8, 12)) == (0.5 / 12, 0.5 / 8)
    with pytest.raises(ValueError):
        cell_query(8, 0, (8, 12))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_view_shows_weights_summing_to_one_in_both_languages(explainer, features, example_photos, language):
    from cnnattn import load_image

    encoded = explainer.encode(load_image(example_photos["cheetah"]))
    for head in lesson.head_ids(explainer.heads):
        view = lesson_answer(explainer.heads, encoded, LessonSettings(head=str(head), language=language))
        assert view.weights.values.sum() == pytest.approx(1.0, abs=1e-9)
        np.testing.assert_allclose(view.weights.values, view.weights_grid, atol=1e-6)
        assert len(view.weights.rows) == view.weights_grid.shape[0]
        assert len(view.weights.headers) == view.weights_grid.shape[1] + 1  # the row labels, then every column
        assert view.scores.values.shape == view.weights.values.shape  # steps 1 and 2 show the same grid
        if language == "zh":
            assert "第 1 步" in view.step_texts[0]


def test_every_string_exists_in_both_languages_and_formats():
    assert STRINGS["en"].keys() == STRINGS["zh"].keys()
    for language, strings in STRINGS.items():
        for key, template in strings.items():
            try:
                fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            except ValueError:  # LaTeX braces: only formulas are shown verbatim, never formatted
                assert key.endswith(".formula"), key
                continue
            text(key, language, **dict.fromkeys(fields, 1))


def test_bold_text_renders_bold_in_both_languages():
    """CommonMark (gradio's markdown) leaves `**` as literal asterisks where a closing `**` follows
    punctuation and precedes a letter, as in "**网络实际的做法：**它": no template may show its asterisks."""
    from markdown_it import MarkdownIt

    from cnnattn.i18n import STRINGS as WEB_STRINGS  # the web strings are in the one catalogue now

    markdown = MarkdownIt("commonmark")
    literal = [
        (language, key)
        for table in (STRINGS, WEB_STRINGS)
        for language, strings in table.items()
        for key, template in strings.items()
        if "**" in markdown.render(template)
    ]
    assert literal == []


@pytest.mark.parametrize(
    ("browser", "expected"), [("zh-CN", "zh"), ("zh", "zh"), ("en-GB", "en"), ("fr", "en"), ("", "en")]
)
def test_browser_language_resolves(browser, expected):
    assert resolve_language(browser) == expected


def test_pooling_lesson_does_not_touch_model_state(explainer, encoded):
    model = explainer.heads
    before = copy.deepcopy(_state(model))
    lesson.pooling_lesson(explainer.head("class"), 0, encoded, 3.0)
    assert all(torch.equal(before[n], t) for n, t in model.state_dict().items())


def test_class_picker_scores_positions_with_the_chosen_row(explainer, example_photos):
    """Choosing a class re-renders from the cached features with that class's classifier row."""
    from cnnattn import load_image

    photo = load_image(example_photos["cheetah"])
    encoded = explainer.encode(photo)
    heads = explainer.heads
    top1 = lesson_answer(heads, encoded, LessonSettings())
    other = 1 if top1.class_index != 1 else 2
    chosen = lesson_answer(heads, encoded, LessonSettings(class_index=other, language="zh"))
    assert chosen.class_index == other
    with torch.inference_mode():
        attention = ClassAttention.from_linear(explainer.backbone.classifier)
        expected = attention(encoded.features, torch.tensor([other]), LessonSettings().temperature)[0]
    np.testing.assert_allclose(chosen.weights_grid, expected.numpy(), atol=1e-6)
    assert not np.allclose(chosen.weights_grid, top1.weights_grid)
    with pytest.raises(ValueError, match="Class must be"):
        LessonSettings(class_index=1000).checked(["class"])


def test_feature_self_attention_on_earlier_layers_from_one_backbone_pass(explainer, example_photos):
    """Every layer's rows sum to 1 on a grid of the stage's stride; switching layer reruns nothing."""
    from bench.lesson_rerender import count_backbone_passes
    from cnnattn import load_image

    photo = load_image(example_photos["cheetah"])
    backbone, heads = explainer.backbone, explainer.heads
    _, _, height, width = explainer.preprocessing(photo)[None].shape
    with count_backbone_passes(backbone) as counter:
        encoded = explainer.encode(photo)
        assert counter["passes"] == 1  # the stages come from the same pass as the final features
        layers = backbone.layer_names()
        assert layers == ["final", "blocks.4", "blocks.6"]  # timm's feature_info stages at stride >= 16
        for layer in layers:
            stride = backbone.stages.get(layer, backbone.stride)
            for query in [(0.1, 0.1), (0.5, 0.5), (0.9, 0.7)]:
                settings = LessonSettings("feature_self", 1.0, query, layer=layer)
                view = lesson_answer(heads, encoded, settings)
                assert view.weights_grid.shape == (math.ceil(height / stride), math.ceil(width / stride))
                assert view.weights_grid.sum() == pytest.approx(1.0, abs=1e-5)
            assert f"{stride} × {stride}" in view.head_text
        # Other heads live on the last feature map whatever the layer says.
        assert lesson_answer(heads, encoded, LessonSettings(layer="blocks.4")).weights_grid.shape == (
            height // backbone.stride,
            width // backbone.stride,
        )
        assert counter["passes"] == 1
    stage = encoded.stages["blocks.4"]
    assert stage.shape[1] == 112 and stage.shape[-2:] == (height // 16, width // 16)
    with pytest.raises(ValueError, match="Unknown layer"):
        lesson_answer(heads, encoded, LessonSettings("feature_self", layer="blocks.0"))


# The browser's lesson block (cnnattn.lesson.block) --------------------------------------------------


@pytest.mark.parametrize(("head", "temperature"), [("class", 0.5), ("class", 4), ("simple/2", 0.1), ("simple/2", 2.7)])
def test_lesson_block_step3_is_lesson_views(explainer, example_photos, encoded, head, temperature):
    """Step 3 of a pooling head, sent for every slider temperature, reads as lesson_answer's table and text."""
    from cnnattn.lesson.block import lesson_block
    from cnnattn.lesson.tables import format_percent

    settings = LessonSettings(head=head, temperature=temperature)
    calibration = explainer.calibration_temperature
    block = lesson_block(explainer.heads, encoded, settings, "cheetah", calibration)
    entry = block["heads"][head]
    c, attention, _, top = entry["step3"][entry["temperatures"].index(temperature)]
    rows = [[block["classes"][str(i)][0], format_percent(block["classes"][str(i)][1]), format_percent(a)]
            for i, a in top]  # fmt: skip
    view = lesson_answer(explainer.heads, encoded, settings, calibration_temperature=calibration)
    assert rows == view.step3.rows
    assert block["classes"][str(c)][0] in view.step_texts[2] and format_percent(attention) in view.step_texts[2]
    assert view.head_text == entry["text"] and entry["accuracy"].strip() in view.step_texts[2]


def test_lesson_block_sends_the_values_only_where_the_payload_lacks_them(explainer, encoded):
    from cnnattn.lesson.block import lesson_block

    block = lesson_block(explainer.heads, encoded, LessonSettings(), None, 1.0)
    assert all("values" in entry for head_id, entry in block["heads"].items() if head_id.startswith("self/"))
    assert "values" not in block["heads"]["feature_self"]  # Q = K = V: the payload's own arrays
    assert block["example"] == "" and set(block["templates"]) >= {"pool.step1", "self.cell", "readout"}
