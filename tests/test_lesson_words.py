"""Issue 17: the lesson says where the weight really is, gives the Grad-CAM comparison a verdict for every
rho, and words its numbers for 15-year-olds (the exact numbers one tap away, in a <details> block), in
English and Chinese; the browser's lesson modules (static/lesson/, run in node) write the same words as Python."""

import json
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cnnattn import load_image
from cnnattn.analysis import readouts
from cnnattn.analysis.comparison import AGREE, WEAK, Comparison
from cnnattn.heads import MapForm
from cnnattn.i18n import STRINGS, text
from cnnattn.lesson import check_words, steps
from cnnattn.lesson.answer import LessonSettings, lesson_answer, readout_text
from cnnattn.lesson.block import TEMPLATES
from cnnattn.lesson.tables import cell_weight, format_weight
from tests import tools

LANGUAGES = ["en", "zh"]
STATIC = Path(__file__).resolve().parents[1] / "cnnattn" / "webapp" / "static"
LESSON_MODULES = ("lesson/format.js", "lesson/numbers.js", "lesson/readout.js")  # format, cellWeight, readout
DETAILS = re.compile(r"<details>.*?</details>", re.DOTALL)
SCIENTIFIC = re.compile(r"×10|\d[eE][-+]?\d")  # 3.7×10⁻³⁵ or 3.7e-35
JARGON = {
    "en": ("nats", "entropy", "logit", "cosine", "d_k", "exp(H)"),
    "zh": ("奈特", "熵", "logit", "余弦", "d_k", "exp(H)"),
}


def block(h: int, w: int, rows: slice, cols: slice) -> np.ndarray:
    """An (h, w) map with nearly all its weight on one block of cells."""
    weights = np.full((h, w), 1e-4)
    weights[rows, cols] = 1.0
    return weights / weights.sum()


# (heavy block on an 8 × 12 grid, the place it is in); the last is the cheetah's head, row 4 and column 8.
PLACED = [
    ((slice(0, 2), slice(0, 2)), "top left"),
    ((slice(0, 2), slice(5, 7)), "top"),
    ((slice(0, 2), slice(10, 12)), "top right"),
    ((slice(3, 5), slice(0, 2)), "left"),
    ((slice(3, 5), slice(5, 7)), "centre"),
    ((slice(3, 5), slice(10, 12)), "right"),
    ((slice(6, 8), slice(0, 2)), "bottom left"),
    ((slice(6, 8), slice(5, 7)), "bottom"),
    ((slice(6, 8), slice(10, 12)), "bottom right"),
    ((slice(3, 4), slice(7, 8)), "right"),
]
WORDS = {  # the place words a student reads, checked literally
    "en": {"top left": "upper left", "right": "on the right", "centre": "in the centre", "bottom": "lower middle"},
    "zh": {"top left": "左上部", "right": "右侧", "centre": "中央", "bottom": "下部的中间"},
}


def near_flat(seed: int = 0) -> np.ndarray:
    """A SelfAttention-like row: every cell within 30% of the uniform weight, the top-left corner a bit heavier."""
    weights = 1.0 + 0.1 * np.random.default_rng(seed).random((8, 12))
    weights[:3, :4] *= 1.2
    return weights / weights.sum()


def scattered() -> np.ndarray:
    """Heavy cells in the four corners: those carrying half the weight lie far apart, and their centre of
    mass is somewhere none of them is."""
    weights = np.full((8, 12), 1e-4)
    weights[0, 0] = weights[0, -1] = weights[-1, 0] = weights[-1, -1] = 1.0
    return weights / weights.sum()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("cells", "place"), PLACED)
def test_the_summary_names_where_the_heavy_cells_are(cells, place, language):
    readout = readouts.read(block(8, 12, *cells), 0.5)
    assert readout.where == place
    sentence = readouts.summary(readout, language)
    assert readouts.PLACES[language][place] in sentence
    assert WORDS[language].get(place, "") in sentence
    other = {key for key in readouts.PLACES[language] if key != place}
    assert not any(readouts.PLACES[language][key] in sentence for key in other)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_nearly_flat_map_is_spread_over_the_whole_photo(language):
    weights = near_flat()
    assert readouts.effective_positions(weights) > 0.9 * weights.size
    readout = readouts.read(weights, 0.5)
    assert readout.where == "flat"
    sentence = readouts.summary(readout, language)
    expected = "spread almost evenly over the whole photo" if language == "en" else "几乎均匀地铺满整张图片"
    assert expected in sentence
    assert not any(readouts.PLACES[language][key] in sentence for row in readouts.PLACE_KEYS for key in row)
    uniform = readouts.read(np.full((8, 8), 1 / 64), 0.5)
    assert uniform.where == "flat"


@pytest.mark.parametrize("language", LANGUAGES)
def test_heavy_cells_far_apart_are_scattered_not_in_the_middle(language):
    readout = readouts.read(scattered(), 0.5)
    assert readout.where == "scattered"
    sentence = readouts.summary(readout, language)
    assert readouts.PLACES[language]["scattered"] in sentence
    assert readouts.PLACES[language]["centre"] not in sentence


def test_the_place_is_that_of_the_heaviest_cells_carrying_the_share():
    weights = np.full((8, 12), 1.0)
    weights[5:, :4] = 20.0  # 12 cells in the lower left hold 240 of 324
    weights /= weights.sum()
    readout = readouts.read(weights, 0.5)
    assert readout.where == "bottom left" and int(readout.region.sum()) < 12


# The Grad-CAM comparison: a verdict for every range of rho --------------------------------------------

VERDICTS = [
    (0.92, "compare.agree"),
    (0.5, "compare.agree"),
    (0.4999, "compare.agree"),  # shown as 0.50: the verdict of the number on the page
    (0.35, "compare.weak"),
    (0.2, "compare.weak"),
    (0.194, "compare.unrelated"),
    (0.15, "compare.unrelated"),  # the reported case
    (0.0, "compare.unrelated"),
    (-0.15, "compare.unrelated"),
    (-0.2, "compare.opposite"),
    (-0.6, "compare.opposite"),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("rho", "key"), VERDICTS)
def test_every_rho_gets_its_verdict(explainer, rho, key, language):
    head = explainer.head("simple")
    h, w = 8, 12
    comparison = Comparison("blocks.4", np.full((h, w), 1 / (h * w)), rho, 0.4, 5, by_construction=False)
    assert check_words.verdict_key(rho) == key
    sentence = check_words.comparison_text(comparison, head, "cheetah" if language == "en" else "猎豹", language)
    assert f"ρ = {rho:.2f}" in sentence and text(key, language) in sentence
    others = {"compare.agree", "compare.weak", "compare.unrelated", "compare.opposite"} - {key}
    assert not any(text(other, language) in sentence for other in others)
    if rho < WEAK:  # never speaks of agreement when rho is low
        agreement = re.compile(r"(?<!not )\bagree" if language == "en" else r"(?<!不)一致")
        assert not agreement.search(sentence.replace("disagree", "")), sentence


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_verdicts_state_the_bounds_the_code_uses(language):
    for key, bounds in (
        ("compare.agree", [AGREE]),
        ("compare.weak", [WEAK, AGREE]),
        ("compare.unrelated", [-WEAK, WEAK]),
        ("compare.opposite", [-WEAK]),
    ):
        stated = [float(number) for number in re.findall(r"-?\d+\.\d+", text(key, language))]
        assert stated == bounds, (key, language)


# Plain words first, exact numbers one tap away ----------------------------------------------------------


def shown_first(markdown: str) -> str:
    """What a student reads before opening any <details> block."""
    return DETAILS.sub("", markdown)


def exact(markdown: str) -> str:
    return "\n".join(DETAILS.findall(markdown))


@pytest.fixture(scope="module")
def cheetah(explainer, example_photos):
    photo = load_image(example_photos["cheetah"])
    return photo, explainer.encode(photo)


@pytest.mark.parametrize("language", LANGUAGES)
def test_texts_shown_first_use_plain_words_for_every_head(explainer, cheetah, language):
    photo, encoded = cheetah
    for head_id in steps.head_ids(explainer.heads):
        # A corner cell at a low temperature: the class map's weight there is about 10⁻³⁵.
        for temperature, query in ((None, (0.5, 0.5)), (0.5, (0.02, 0.02))):
            head = steps.find_head(explainer.heads, head_id)
            t = head.default_temperature if temperature is None else temperature
            settings = LessonSettings(head=str(head_id), temperature=t, query=query, language=language)
            view = lesson_answer(explainer.heads, encoded, settings, explainer.calibration_temperature)
            texts = [view.head_text, *view.step_texts, view.cell_text, view.readout_text, view.summary]
            first = "\n".join(shown_first(part) for part in texts)
            assert not [word for word in JARGON[language] if word.lower() in first.lower()], (head_id, first)
            assert not SCIENTIFIC.search(first), (head_id, first)
            readout = readouts.read(view.weights_grid, settings.share, settings.top_k)
            hidden = exact(view.readout_text)
            assert f"{readout.entropy:.3f}" in hidden and JARGON[language][0] in hidden
            assert f"{readout.effective_positions:.1f}" in hidden
            weight = view.weights.values[view.cell]
            if weight < 1e-3:  # the number written m.m×10⁻ⁿ is one tap away
                assert format_weight(weight) in exact(view.cell_text), (head_id, view.cell_text)
            if head.form is MapForm.QUERY_ROW:
                assert "d_k" in exact(view.step_texts[1]) and JARGON[language][3] in exact(view.step_texts[2]).lower()
            elif head.class_conditional:
                assert "logit" in exact(view.step_texts[2])


def test_the_reported_tiny_weight_is_practically_zero_in_both_languages(explainer, cheetah):
    photo, encoded = cheetah
    settings = LessonSettings(temperature=0.5, query=(0.02, 0.02))
    english = lesson_answer(explainer.heads, encoded, settings).cell_text
    chinese = lesson_answer(explainer.heads, encoded, replace(settings, language="zh"))
    assert "practically zero (less than one in a billion)" in shown_first(english)
    assert "几乎为零（不到十亿分之一）" in shown_first(chinese.cell_text)
    assert "×10⁻" in exact(english) and "×10⁻" in exact(chinese.cell_text)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("weight", "words"),
    [(0.0123, "0.0123"), (5e-4, "weight.tiny.thousand"), (3e-7, "weight.tiny.million"),
     (3.7e-35, "weight.tiny.billion"), (0.0, "weight.tiny.billion")],
)  # fmt: skip
def test_cell_weights_read_in_words(weight, words, language):
    worded = cell_weight(weight, 96, language)
    assert worded["weight"] == STRINGS[language].get(words, words)  # a key's words, or the number itself
    assert bool(worded["exact"]) == (weight < 1e-3)
    if worded["exact"]:
        assert format_weight(weight) in worded["exact"] and worded["exact"].strip().startswith("<details>")


def test_exact_numbers_blocks_render_as_html_details_in_markdown():
    """gradio's Markdown passes raw HTML through (as CommonMark does): each block is a <details> element
    whose contents (LaTeX included) are still markdown."""
    from markdown_it import MarkdownIt

    markdown = MarkdownIt("commonmark")
    for language in LANGUAGES:
        for key, template in STRINGS[language].items():
            if "<details>" not in template:
                continue
            assert template.count("<details>") == template.count("</details>") == 1, key
            rendered = markdown.render(template)
            assert "<details><summary>" in rendered and "</details>" in rendered, key
            assert "&lt;details" not in rendered, key


# Python and the browser's lesson modules write the same words --------------------------------------------


def run_format_js(calls: list[tuple[str, list]]) -> list:
    """Results of the lesson modules' function `name`(...args) for each (name, args), run in node."""
    imports = "".join(f'import * as m{i} from "{(STATIC / path).as_uri()}";\n' for i, path in enumerate(LESSON_MODULES))
    script = (
        f"{imports}const F = Object.assign({{}}, {', '.join(f'm{i}' for i in range(len(LESSON_MODULES)))});\n"
        f"const calls = {json.dumps(calls)};\n"
        "process.stdout.write(JSON.stringify(calls.map(([name, args]) => F[name](...args))));\n"
    )
    command = [tools.node(), "--input-type=module"]
    done = subprocess.run(command, input=script, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def words_of(language: str) -> dict:
    """What lesson_block sends the browser for the readout (cnnattn.lesson.block)."""
    templates = {key: STRINGS[language][key] for key in TEMPLATES}
    return {"summary": readouts.SUMMARY[language], "places": readouts.PLACES[language], "templates": templates}


@pytest.mark.parametrize("language", LANGUAGES)
def test_browser_readout_and_cell_words_equal_pythons(language):
    grids = [block(8, 12, *cells) for cells, _ in PLACED] + [near_flat(), scattered(), np.full((8, 8), 1 / 64)]
    grids.append(block(16, 24, slice(0, 3), slice(20, 24)))
    calls = [("readout", [grid.ravel().tolist(), list(grid.shape), 0.5, 5, words_of(language)]) for grid in grids]
    weights = [0.25, 0.0123, 5e-4, 3e-7, 3.7e-35, 0.0]
    templates = words_of(language)["templates"]
    calls += [("cellWeight", [weight, 96, templates]) for weight in weights]
    results = run_format_js(calls)
    readouts_js, cells_js = results[: len(grids)], results[len(grids) :]
    texts_js = run_format_js([("format", [STRINGS[language]["readout"], values]) for values in readouts_js])
    for grid, values, shown in zip(grids, readouts_js, texts_js, strict=True):
        readout = readouts.read(grid, 0.5, 5)
        assert values["summary"] == readouts.summary(readout, language)
        assert shown == readout_text(readout, language)
    for weight, js in zip(weights, cells_js, strict=True):
        assert js == cell_weight(weight, 96, language), weight
