"""Issue 11, library side: every number and word the lesson shows tells the truth, in both languages.

A comparison that is not circular, a sanity check with a verdict, step 3 beside what the network really
does, tables that match the text, translated names and errors, predict-then-reveal, explained results.
"""

import pickle
import re
import string

import numpy as np
import pytest
import torch

from cnnattn import load_image
from cnnattn.analysis import readouts
from cnnattn.analysis.comparison import agrees_by_construction, compare, reference_layer
from cnnattn.analysis.faithfulness import DeletionCurve
from cnnattn.analysis.gradcam import gradcam_grid
from cnnattn.analysis.sanity import SANITY_THRESHOLDS, sanity_check, sanity_threshold
from cnnattn.errors import UserError, error_message
from cnnattn.heads import SimpleAttention, SimplePooling
from cnnattn.i18n import CHINESE_ALLOWLIST, STRINGS, count, text, untranslated_words
from cnnattn.i18n import text as say
from cnnattn.image.loading import ImageRejected
from cnnattn.lesson import check_words, steps
from cnnattn.lesson.answer import LessonSettings, cell_query, lesson_answer, link_note
from cnnattn.lesson.cards import accuracy_text, pooling_accuracy
from cnnattn.lesson.guess import guess_text, score_guess
from cnnattn.lesson.tables import format_percent, format_weight, weight_table
from cnnattn.names import head_name, layer_name
from cnnattn.webapp.downloads import file_stem
from cnnattn.webapp.lesson_answers import dataframe

ZERO = re.compile(r"[-+]?0*(\.0*)?")  # "0", "0.0000", "-0.000": what a positive weight must never read as
SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def shown_number(cell: str) -> float:
    """A table cell back to a number: "0.0190" or "5.0×10⁻⁴"."""
    if "×10" in cell:
        mantissa, exponent = cell.split("×10")
        return float(mantissa) * 10 ** int(exponent.translate(SUPERSCRIPT))
    return float(cell)


@pytest.fixture(scope="module")
def cheetah(explainer, example_photos):
    photo = load_image(example_photos["cheetah"])
    return photo, explainer.encode(photo)


@pytest.fixture(scope="module")
def lion(explainer, example_photos):
    photo = load_image(example_photos["lion"])
    return photo, explainer.encode(photo)


def view_words(view) -> str:
    """Every string a lesson view puts on the page."""
    parts = [view.head_text, *view.step_texts, view.cell_text, view.readout_text, view.summary, view.head_name]
    parts += [view.class_label]
    for table in (view.scores, view.weights, view.step3):
        parts += [table.title, *table.headers, *(str(cell) for row in table.rows for cell in row)]
    return "\n".join(parts)


# 1. A comparison that tests something ----------------------------------------------------------------


@pytest.mark.parametrize("photo_name", ["cheetah", "lion"])
def test_reference_map_is_not_the_class_maps_own_scores(explainer, photo_name, request):
    """Grad-CAM at the feature layer ranks positions like the class map's scores (by construction);
    the reference at an earlier stage does not, so agreement with it is evidence."""
    photo, encoded = request.getfixturevalue(photo_name)
    backbone, class_map = explainer.backbone, explainer.head("class")
    inputs = explainer.preprocessing(photo)[None]
    top1 = steps.top1(encoded)
    scores = steps.pooling_lesson(class_map, 0, encoded, 4.0).scores
    circular = gradcam_grid(backbone, inputs, top1)  # the feature layer
    layer = reference_layer(backbone)
    assert layer == "blocks.4" and layer != backbone.feature_layer
    reference = gradcam_grid(backbone, inputs, top1, layer)
    by_construction = readouts.spearman(circular, scores)
    assert by_construction > 0.85
    assert readouts.spearman(reference, scores) < by_construction - 0.3
    assert agrees_by_construction(class_map, backbone.feature_layer, backbone)
    assert not agrees_by_construction(class_map, layer, backbone)
    assert not agrees_by_construction(explainer.head("simple"), backbone.feature_layer, backbone)
    comparison = compare(class_map, steps.pooling_lesson(class_map, 0, encoded, 4.0).weights, reference, layer)
    assert not comparison.by_construction and comparison.reference.sum() == pytest.approx(1.0, abs=1e-5)


def test_pipeline_reference_map_and_the_texts_say_when_maps_agree_by_construction(explainer, cheetah):
    from cnnattn.pipeline import Pipeline

    photo, encoded = cheetah
    class_map = explainer.head("class")
    weights = steps.pooling_lesson(class_map, 0, encoded, 4.0).weights
    layer, reference = Pipeline(explainer).reference_map(photo, steps.top1(encoded))
    assert layer == "blocks.4" and reference.shape == weights.shape
    independent = compare(class_map, weights, reference, layer)
    circular = compare(class_map, weights, reference, explainer.backbone.feature_layer)
    assert circular.by_construction
    english = check_words.comparison_text(independent, class_map, "cheetah", "en")
    assert f"ρ = {independent.rho:.2f}" in english and "earlier stage 1" in english
    assert "by construction" not in english and "average pooling" in english
    assert "agree by construction" in check_words.comparison_text(circular, class_map, "cheetah", "en")
    assert "必然一致" in check_words.comparison_text(circular, class_map, "猎豹", "zh")
    # A grid of another shape (feature self-attention on blocks.4) is resampled onto the map's grid.
    fine = np.full((16, 24), 1 / 384)
    assert compare(class_map, fine, reference, layer).reference.shape == (16, 24)


def test_the_false_caption_is_gone():
    assert not any("actually used" in value for value in STRINGS["en"].values())
    assert not any("模型实际使用的" in value for value in STRINGS["zh"].values())


# 2. Sanity check with a verdict ----------------------------------------------------------------------


def test_sanity_verdict_against_the_measured_threshold(explainer, cheetah):
    _, encoded = cheetah
    class_map = explainer.head("class")
    real = steps.lesson_weights(class_map, 0, encoded, steps.MapSettings(4.0))
    random = steps.randomised_weights(class_map, 0, encoded, steps.MapSettings(4.0))
    check = sanity_check(real, random, "class")
    rho, threshold, passed = check  # a plain (rho, threshold, passed) triple
    assert threshold == SANITY_THRESHOLDS["class"] and passed == (rho <= threshold)
    assert rho == pytest.approx(readouts.spearman(real, random))
    assert passed  # the cheetah's class map changes completely with a random classifier row
    english, chinese = check_words.sanity_text(check, "en"), check_words.sanity_text(check, "zh")
    assert "passed" in english and f"{threshold:.2f}" in english and "Spearman" in english
    assert "通过" in chinese and f"{threshold:.2f}" in chinese
    failed = sanity_check(real, real, "class")  # the same map: rho 1
    assert not failed.passed and "failed" in check_words.sanity_text(failed, "en")
    assert sanity_threshold("unmeasured") == min(SANITY_THRESHOLDS.values())
    assert all(-1.0 < value < 1.0 for value in SANITY_THRESHOLDS.values())


def test_threshold_bench_measures_every_kind(explainer, example_photos):
    from bench.sanity_threshold import evenly_spaced, measure

    photos = list(example_photos.values()) * 2  # same grids, so there are pairs
    result = measure(explainer, evenly_spaced(photos, 4))
    assert set(result["kinds"]) == {head.kind for head in explainer.heads}
    for row in result["kinds"].values():
        assert row["pairs"] > 0 and -1.0 <= row["threshold"] <= 1.0 and 0.0 <= row["passed_share"] <= 1.0


# 3. Step 3 that teaches the truth ---------------------------------------------------------------------


def test_step3_quotes_the_clis_probability_and_explains_the_circular_rise(explainer, cheetah):
    photo, encoded = cheetah
    calibration = explainer.calibration_temperature
    view = lesson_answer(explainer.heads, encoded, LessonSettings(), calibration)
    top = explainer.explain_encoded(encoded).predictions[0]  # what `cnnattn explain` prints
    assert top.index == view.class_index
    step3 = view.step_texts[2]
    assert f"**cheetah** {format_percent(top.prob)}" in step3  # what the network really does
    assert "never uses these weights" in step3 and "What if" in step3
    L = steps.pooling_lesson(explainer.head("class"), 0, encoded, 4.0)
    assert L.logits[view.class_index] > L.average_logits[view.class_index]  # the built-in rise
    assert f"{L.average_logits[view.class_index]:.2f}" in step3 and "fed in" in step3
    simple = lesson_answer(explainer.heads, encoded, LessonSettings(head="simple/0", temperature=1.0))
    assert "fed in" not in simple.step_texts[2] and "never uses these weights" in simple.step_texts[2]


def test_held_out_accuracy_is_read_from_the_cards(explainer, cheetah):
    photo, encoded = cheetah
    for head in explainer.heads:
        accuracy = pooling_accuracy(head)
        if head.trained:
            held_out = head.card["metrics"]["held_out"]["summary"]
            top1 = held_out["top1"]
            assert (accuracy.head, accuracy.backbone) == (top1[head.kind], top1["backbone"])
            assert accuracy.images == held_out["labelled_images"] > 100 and accuracy.split == "held_out"
        else:
            assert accuracy is None
    step3 = lesson_answer(explainer.heads, encoded, LessonSettings()).step_texts[2]
    simple = pooling_accuracy(explainer.head("simple"))
    assert f"{simple.head:.1%}" in step3 and f"{simple.backbone:.1%}" in step3
    # A rewritten card shows its own numbers: nothing is hard-coded.
    channels = explainer.backbone.num_features
    card = {"metrics": {"validation_during_training": {"images": 40, "top1": 0.925, "backbone_top1": 0.9}}}
    fake = SimplePooling(explainer.backbone, SimpleAttention(channels, 1).eval(), card)
    sentence = accuracy_text([fake], "en")
    assert "40 photos" in sentence and "92.5%" in sentence and "90.0%" in sentence and "2.5% more" in sentence
    assert "40 张照片" in accuracy_text([fake], "zh")
    assert accuracy_text([explainer.head("class")], "en") == ""


# 4. Tables that match the text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.0005000000237487257, "5.0×10⁻⁴"), (0.019, "0.0190"), (1e-53, "1.0×10⁻⁵³"), (0.001, "0.0010"), (1.0, "1.0000")],
)
def test_format_weight_never_reads_zero(value, shown):
    assert format_weight(value) == shown
    assert not ZERO.fullmatch(format_weight(value))


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize(
    ("head", "temperature"), [("class", 0.1), ("class", 4.0), ("self/0", 0.1), ("feature_self", 1.0)]
)
def test_no_positive_weight_renders_as_zero_and_rows_count_from_one(explainer, cheetah, language, head, temperature):
    photo, encoded = cheetah
    view = lesson_answer(
        explainer.heads, encoded, LessonSettings(head=head, temperature=temperature, language=language)
    )
    h, w = view.weights_grid.shape
    cells = [cell for row in view.weights.rows for cell in row[1:]]
    assert len(cells) == h * w
    assert not any(ZERO.fullmatch(cell) for cell in cells)
    np.testing.assert_allclose([shown_number(c) for c in cells], view.weights.values.ravel(), rtol=0.06, atol=5e-5)
    first_row = "row 1" if language == "en" else "第 1 行"
    last_row = f"row {h}" if language == "en" else f"第 {h} 行"
    assert view.weights.rows[0][0] == first_row and view.weights.rows[-1][0] == last_row
    assert view.weights.headers[1:] == [str(col) for col in range(1, w + 1)]


def test_clicked_cell_is_counted_from_one_in_both_languages(explainer, cheetah):
    photo, encoded = cheetah
    query = cell_query(3, 4, (8, 12))  # 0-based row 3, col 4
    english = lesson_answer(explainer.heads, encoded, LessonSettings(query=query))
    chinese = lesson_answer(explainer.heads, encoded, LessonSettings(query=query, language="zh"))
    assert english.cell == (3, 4)
    assert "(row 4, col 5)" in english.cell_text and "第 4 行，第 5 列" in chinese.cell_text
    weight = english.weights.values[3, 4]
    assert format_weight(weight) in english.cell_text


def test_self_attention_step1_quotes_the_numbers_its_table_shows(explainer, cheetah):
    photo, encoded = cheetah
    view = lesson_answer(explainer.heads, encoded, LessonSettings(head="self/0", temperature=1.0))
    Q = steps.query_lesson(explainer.head("self"), 0, encoded, (0.5, 0.5), 1.0)
    np.testing.assert_allclose(view.scores.values, Q.dots)  # step 1 table: unscaled dot products
    assert f"from {Q.dots.min():.1f} to {Q.dots.max():.1f}" in view.step_texts[0]
    assert "unscaled" in view.scores.title and "not yet scaled" in view.step_texts[0]
    assert f"from {Q.scaled.min():.2f} to {Q.scaled.max():.2f}" in view.step_texts[1]  # step 2: scaled
    assert [header for header in view.step3.headers if "unscaled" in header or "scaled" in header]
    assert view.step3.rows[0][0] == "({}, {})".format(
        *(np.unravel_index(Q.weights.argmax(), Q.weights.shape) + np.array(1))
    )


@pytest.mark.parametrize(("n", "english", "chinese"), [(1, "1 position", "1 个位置"), (2, "2 positions", "2 个位置")])
def test_plurals(n, english, chinese):
    assert count("count.position", n, "en") == english
    assert count("count.position", n, "zh") == chinese


def test_readout_says_one_position_not_one_positions(explainer, cheetah):
    photo, encoded = cheetah
    view = lesson_answer(explainer.heads, encoded, LessonSettings(temperature=0.1))
    assert "in 1 position." in view.readout_text and "1 positions" not in view.readout_text


@pytest.mark.parametrize("language", ["en", "zh"])
def test_weight_grid_is_readable_with_all_columns(language):
    """The step 2 table (`weight_table`) as the Lesson tab hands it to gr.Dataframe (`dataframe`)."""
    weights = np.full((8, 12), 1 / 96)
    weights[0, 0], weights[7, 11] = 0.0005000000237487257, weights[7, 11] - 0.0005000000237487257 + 1 / 96
    table = weight_table(weights, language)
    assert len(table.headers) == 13 and table.headers[-1] == "12"
    assert table.rows[0][1] == "5.0×10⁻⁴" and table.rows[1][1] == "0.0104"
    shown = dataframe(table)
    assert table.title and shown["headers"] == table.headers and len(shown["data"]) == 8  # title, header, 8 rows
    cells = [str(cell) for row in shown["data"] for cell in row]
    assert ("row 8" if language == "en" else "第 8 行") in cells and not any("0.0005000000237" in c for c in cells)


# 5. Every string in both languages -------------------------------------------------------------------


def test_every_key_exists_in_both_languages_with_the_same_fields():
    assert STRINGS["en"].keys() == STRINGS["zh"].keys()
    for key, english in STRINGS["en"].items():
        if key.endswith(".formula"):
            continue
        fields = [
            {name for _, name, _, _ in string.Formatter().parse(t) if name} for t in (english, STRINGS["zh"][key])
        ]
        assert fields[1] <= fields[0], key  # Chinese may leave out a detail, never ask for a value English lacks


def test_allowlist_is_short():
    assert len(CHINESE_ALLOWLIST) <= 30
    assert untranslated_words("类别图 $s_p = w^\\top x_p$ softmax Grad-CAM T") == []
    assert untranslated_words("第 1 步 class map") == ["class", "map"]


def zh_views(explainer, photo, encoded):
    """A Chinese lesson view of every head, plus the settings that change the wording."""
    settings = [
        LessonSettings(head=str(head_id), language="zh", temperature=1.0) for head_id in steps.head_ids(explainer.heads)
    ]
    settings += [LessonSettings(language="zh", temperature=0.1), LessonSettings(language="zh", class_index=281)]
    settings += [
        LessonSettings(head="feature_self", language="zh", layer=layer) for layer in explainer.backbone.layer_names()
    ]
    return [lesson_answer(explainer.heads, encoded, s, explainer.calibration_temperature) for s in settings]


def test_chinese_lesson_views_contain_no_english_outside_the_allowlist(explainer, cheetah, lion):
    for photo, encoded in (cheetah, lion):
        for view in zh_views(explainer, photo, encoded):
            assert untranslated_words(view_words(view)) == [], view.head_name


def test_chinese_names_checks_and_messages_contain_no_english(explainer, cheetah):
    _, encoded = cheetah
    backbone = explainer.backbone
    words = [head_name(head, index, "zh") for head in explainer.heads for index in range(head.num_heads)]
    words += [layer_name(backbone, layer, "zh") for layer in [*backbone.layer_names(), backbone.feature_layer]]
    words += [say(key, "zh") for key in ("view.query_at", "view.row", "view.col")]  # the view's map captions
    reference = np.full((8, 12), 1 / 96)
    for head in explainer.heads:
        for layer in ("blocks.4", backbone.feature_layer):
            words.append(check_words.comparison_text(compare(head, reference, reference, layer), head, "猎豹", "zh"))
    words += [check_words.sanity_text(sanity_check(reference, reference, kind), "zh") for kind in ("class", "x")]
    words += [check_words.occlusion_explanation(0.3, after, "猎豹", "zh") for after in (0.1, 0.3, 0.5)]
    curve = DeletionCurve(np.linspace(0, 1, 3), np.array([0.9, 0.2, 0.1]), np.array([0.9, 0.6, 0.1]), 293)
    words += [check_words.deletion_caption("猎豹", "zh"), check_words.deletion_explanation(curve, "zh")]
    words += [link_note(None, "zh")]
    words += [guess_text(score_guess(reference, (0.5, 0.5)), "zh"), text("guess.prompt", "zh")]
    words += [text(key, "zh", **values) for key, values in ERROR_VALUES.items()]
    words += [text(f"label.{name}", "zh", n=1, share=0.5) for name in ("step", "contour", "mass", "probability")]
    words += [text("map.gradcam", "zh", label="猎豹", layer=layer_name(backbone, "blocks.4", "zh"))]
    assert untranslated_words("\n".join(words)) == []


ERROR_VALUES = {  # every user-facing error, with typical values
    "error.settings.head": {"value": "简单", "choices": "class, simple/0"},
    "error.settings.temperature": {"low": 0.1, "high": 20},
    "error.settings.temperature_positive": {},
    "error.settings.query": {},
    "error.settings.colormap": {"value": "彩虹", "choices": "inferno, viridis"},
    "error.settings.opacity": {},
    "error.settings.share": {},
    "error.settings.top_k": {},
    "error.settings.language": {"value": "法语", "choices": "en, zh"},
    "error.settings.class": {"top1": -1, "last": 999},
    "error.settings.layer": {"value": "最后", "choices": "blocks.4"},
    "error.settings.cell": {"row": 9, "col": 1, "h": 8, "w": 12},
    "error.image.too_many_pixels_to_decode": {"limit": 40_000_000},
    "error.image.not_an_image": {"formats": "JPEG, PNG"},
    "error.image.damaged": {},
    "error.image.not_a_file": {"name": "管道"},
    "error.image.unreadable": {"name": "照片.png", "reason": "Permission denied"},
    "error.image.too_large": {"limit_mb": 25},
    "error.image.empty": {},
    "error.image.too_many_pixels": {"width": 9000, "height": 9000, "limit_mp": 40},
    "error.image.too_small": {"width": 8, "height": 8, "min_side": 16},
    "error.image.too_narrow": {"width": 2000, "height": 100, "max_aspect": 10.0},
    "error.generic": {},
}


@pytest.mark.parametrize(
    ("data", "key"),
    [(b"", "error.image.empty"), (b"not an image at all", "error.image.not_an_image"), (None, "error.image.too_small")],
)
def test_loader_errors_carry_a_key_the_web_layer_translates(data, key):
    from io import BytesIO

    from PIL import Image

    if data is None:
        buffer = BytesIO()
        Image.new("RGB", (8, 8)).save(buffer, format="PNG")
        data = buffer.getvalue()
    with pytest.raises(ImageRejected) as caught:
        load_image(data)
    error = caught.value
    assert error.key == key and isinstance(error, ValueError)
    assert error_message(error, "en") == str(error)
    chinese = error_message(error, "zh")
    assert chinese == text(key, "zh", **error.values) and untranslated_words(chinese) == []
    again = pickle.loads(pickle.dumps(error))  # process pools and remote workers keep the key
    assert (type(again), again.key, again.values, str(again)) == (ImageRejected, key, error.values, str(error))


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"head": "evil"}, "error.settings.head"),
        ({"temperature": 99.0}, "error.settings.temperature"),
        ({"query": (2.0, 0.5)}, "error.settings.query"),
        ({"colormap": "jet"}, "error.settings.colormap"),
        ({"opacity": 2.0}, "error.settings.opacity"),
        ({"share": 0.0}, "error.settings.share"),
        ({"top_k": 0}, "error.settings.top_k"),
        ({"language": "fr"}, "error.settings.language"),
        ({"class_index": 1000}, "error.settings.class"),
    ],
)
def test_settings_errors_are_translatable(changes, key):
    with pytest.raises(UserError) as caught:
        LessonSettings(**changes).checked(["class"])
    assert caught.value.key == key
    assert error_message(caught.value, "zh") != error_message(caught.value, "en")


def test_other_errors_never_leak_english_into_chinese():
    assert error_message(RuntimeError("CUDA error: device-side assert"), "zh") == text("error.generic", "zh")
    assert error_message(ValueError("Some detail."), "en") == "Some detail."


def test_names_and_download_files(explainer):
    simple, self_head = explainer.head("simple"), explainer.head("self")
    names = {entry["index"]: entry["name"] for entry in simple.card["heads"]}  # measured names from the card
    assert head_name(simple, 0, "en") == f"SimpleAttention head 1: {names[0]['en']}"  # counted from 1 on screen
    assert head_name(self_head, 3, "zh").startswith("SelfAttention 注意力头 4")
    assert head_name(explainer.head("class"), 0, "zh") == "类别图"
    assert layer_name(explainer.backbone, "final", "en") == "last feature map"
    assert layer_name(explainer.backbone, "blocks.4", "zh") == "较早的第 1 个阶段"
    # static/view/view.js captions a map "<head name>: <class>" or "<head name> · query at (row r, col c)",
    # counted from 1
    assert [say(key, "en") for key in ("view.query_at", "view.row", "view.col")] == ["query at", "row", "col"]
    # Downloaded files are named by head id, counted from 1 as on screen, in every language.
    assert file_stem(simple.ids()[1]) == "simple-2" and file_stem(explainer.head("class").ids()[0]) == "class"
    with pytest.raises(UserError):
        layer_name(explainer.backbone, "blocks.0", "en")


# 6. Predict, then reveal ------------------------------------------------------------------------------


def test_a_click_on_the_top_cell_scores_above_a_click_on_the_lowest(explainer, cheetah):
    _, encoded = cheetah
    weights = steps.pooling_lesson(explainer.head("class"), 0, encoded, 4.0).weights
    h, w = weights.shape
    top, low = np.unravel_index(weights.argmax(), weights.shape), np.unravel_index(weights.argmin(), weights.shape)
    best, worst = score_guess(weights, cell_query(*top, (h, w))), score_guess(weights, cell_query(*low, (h, w)))
    assert best.rank == 1 and worst.rank == h * w
    assert best.mass > worst.mass and best.ratio > worst.ratio
    assert best.ratio > 1.0 > worst.ratio
    assert "ranks 1 of 96" in guess_text(best, "en") and "排第 1" in guess_text(best, "zh")


def test_guess_mass_matches_the_direct_formula():
    weights = np.arange(1.0, 13.0).reshape(3, 4)
    weights /= weights.sum()
    corner = score_guess(weights, (0.0, 0.0))  # cell (0, 0): itself and 3 neighbours
    assert corner.cell == (0, 0) and corner.neighbours == 3
    assert corner.mass == pytest.approx(weights[:2, :2].sum()) and corner.uniform == pytest.approx(4 / 12)
    middle = score_guess(weights, cell_query(1, 1, (3, 4)))
    assert middle.neighbours == 8 and middle.mass == pytest.approx(weights[:, :3].sum())
    assert middle.rank == 1 + int((weights > weights[1, 1]).sum())
    assert "8 neighbours" in guess_text(middle, "en") and "3 neighbours" in guess_text(corner, "en")


# 7. Occlusion, deletion and the link of an upload, explained -------------------------------------------


def test_occlusion_and_deletion_are_explained_in_one_line():
    assert "competing classes" in check_words.occlusion_explanation(0.316, 0.335, "cheetah", "en")
    assert "held evidence" in check_words.occlusion_explanation(0.316, 0.05, "cheetah", "en")
    assert "Hardly any change" in check_words.occlusion_explanation(0.316, 0.32, "cheetah", "en")
    faster = DeletionCurve(np.linspace(0, 1, 3), np.array([0.9, 0.1, 0.0]), np.array([0.9, 0.7, 0.0]), 0)
    slower = DeletionCurve(np.linspace(0, 1, 3), np.array([0.9, 0.8, 0.0]), np.array([0.9, 0.2, 0.0]), 0)
    assert "hurts sooner" in check_words.deletion_explanation(faster, "en")
    assert "does not hurt sooner" in check_words.deletion_explanation(slower, "en")
    assert f"{faster.attention_area:.3f}" in check_words.deletion_explanation(faster, "en")
    assert "cheetah" in check_words.deletion_caption("cheetah", "en")


def test_link_of_an_upload_says_why_it_opens_without_the_photo():
    assert link_note("cheetah", "en") == ""
    assert "example photos" in link_note(None, "en") and "示例照片" in link_note(None, "zh")


def test_torch_state_is_untouched_by_checks(explainer, cheetah):
    before = {name: tensor.clone() for name, tensor in explainer.heads.state_dict().items()}
    _, encoded = cheetah
    real = steps.lesson_weights(explainer.head("simple"), 0, encoded, steps.MapSettings(1.0))
    sanity_check(real, steps.randomised_weights(explainer.head("simple"), 0, encoded, steps.MapSettings(1.0)), "simple")
    assert all(torch.equal(before[name], tensor) for name, tensor in explainer.heads.state_dict().items())
