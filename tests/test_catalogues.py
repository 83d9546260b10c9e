"""One string catalogue per language (cnnattn/i18n/<code>.json): English names every key, the others word
some or all of them with the same fields, every key the code names is there, and a language added at run
time (the pseudo-language of conftest.py, every English string wrapped as [[...]]) is used everywhere,
English filling in what it lacks. The page in that language: test_language_browser.py."""

import ast
import re
import string
from pathlib import Path

import pytest

from cnnattn import i18n
from cnnattn.analysis import readouts
from cnnattn.errors import UserError, error_message
from cnnattn.i18n import STRINGS, language_choices, languages, text
from cnnattn.labels import class_names
from cnnattn.lesson.settings import LessonSettings
from cnnattn.names import head_name
from cnnattn.training.naming import name_heads

from .conftest import write_pseudo_catalogue

PACKAGE = Path(i18n.__file__).resolve().parents[1]
KEY = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+")  # "tab.explore", "error.image.empty"
QUOTED_KEY = re.compile(r"""["'`]([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["'`]""")
FILE_NAMES = (".py", ".js", ".css", ".json", ".txt")  # "view.js" is a file, not the "view" entries
# Keys the code builds from a name (an f-string): each family with every name it can take.
BUILT = [
    *(f"place.{where}" for where in readouts.WHERE),
    *(f"accuracy.{split}" for split in ("held_out", "validation")),
    *(f"lesson.col.{column}" for column in ("class", "average", "attention")),
    *(f"{form}.head.generic" for form in ("pool", "self")),
    "head.name.generic",
    "head.kind.generic",
]


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def keys_in_code() -> dict[str, str]:
    """Every string in the package's Python and JavaScript that has the shape of a key and starts as one
    does (so "blocks.4" or "cnnattn.heads" are not taken for one) -> where it was found."""
    prefixes = {key.split(".")[0] for key in STRINGS["en"]}
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY.fullmatch(node.value):
                found.setdefault(node.value, str(path.relative_to(PACKAGE)))
    for path in sorted(PACKAGE.rglob("*.js")):
        for match in QUOTED_KEY.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match[1], str(path.relative_to(PACKAGE)))
    return {
        key: where for key, where in found.items() if key.split(".")[0] in prefixes and not key.endswith(FILE_NAMES)
    }


def test_the_shipped_languages_are_english_and_chinese_named_by_their_catalogues():
    assert sorted(path.stem for path in (PACKAGE / "i18n").glob("*.json")) == ["en", "zh"]
    assert languages()[0] == "en"
    choices = language_choices()
    assert choices[0] == ("English", "en") and ("中文", "zh") in choices


@pytest.mark.parametrize("language", languages())
def test_every_key_of_a_catalogue_is_an_english_key(language):
    assert set(STRINGS[language]) <= set(STRINGS["en"])


@pytest.mark.parametrize("language", languages())
def test_every_entry_asks_for_no_value_english_lacks(language):
    """A translation may leave out a detail ({reason}), never ask for a value the code does not give."""
    for key, template in STRINGS[language].items():
        if key.endswith(".formula"):  # LaTeX braces: shown verbatim, never formatted
            continue
        assert fields(template) <= fields(STRINGS["en"][key]), (language, key)
        if key.startswith("count."):  # "singular|plural", or one form
            assert len(template.split("|")) <= 2, (language, key)


def test_every_key_the_code_names_is_in_the_english_catalogue():
    found = keys_in_code()
    assert {"tab.explore", "error.busy", "view.row", "table.corner", "readout.summary"} <= set(found)
    missing = {key: where for key, where in found.items() if key not in STRINGS["en"]}
    assert not missing
    assert [key for key in BUILT if key not in STRINGS["en"]] == []


def test_one_user_error_is_worded_where_it_is_shown():
    error = UserError("error.settings.cell", row=9, col=1, h=8, w=8)
    assert isinstance(error, ValueError) and error.args == ("error.settings.cell",)
    assert str(error) == error_message(error, "en") == "Cell (row 9, col 1) is outside the 8 × 8 grid."
    assert error_message(error, "zh") == "格子（第 9 行，第 1 列）不在 8 × 8 的网格内。"


def test_the_errors_module_imports_no_catalogue():
    """Raising an error needs no strings: cnnattn.errors reads the catalogue only inside the function
    that words an error for a person."""
    tree = ast.parse((PACKAGE / "errors.py").read_text(encoding="utf-8"))
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert all(getattr(node, "module", "") == "__future__" for node in top_level)


# A language added at run time --------------------------------------------------------------------------


def test_a_pseudo_language_is_a_language_of_every_part(pseudo_language, explainer):
    assert languages() == ("en", pseudo_language, "zh")
    assert ("Pseudo", pseudo_language) in language_choices()
    assert i18n.resolve_language(f"{pseudo_language}-YY") == pseudo_language
    assert text("tab.explore", pseudo_language) == "[[Explore]]"
    assert i18n.count("count.position", 2, pseudo_language) == "[[2 positions]]"
    assert error_message(UserError("error.image.empty"), pseudo_language) == "[[The file is empty.]]"
    assert LessonSettings(language=pseudo_language).checked(["class"]).language == pseudo_language
    assert readouts.PLACES[pseudo_language]["centre"] == "[[mostly in the centre of the photo]]"
    # No class names of its own: English's. No name of its own on a card written before it: English's.
    assert class_names(pseudo_language) == class_names("en")
    simple = explainer.head("simple")
    english = next(entry["name"]["en"] for entry in simple.card["heads"] if entry["index"] == 0)
    assert head_name(simple, 0, pseudo_language) == f"[[[[SimpleAttention head 1]]: {english}]]"
    # Cards written now name their heads in it too.
    heads = name_heads("self", {"coco": {"self_objects": {"per_head": [2.5, 1.6, 1.4]}}}, "validation", 3)
    assert [entry["name"][pseudo_language] for entry in heads] == [
        "[[Same object]]", "[[[[Nearby and similar]] 1]]", "[[[[Nearby and similar]] 2]]",
    ]  # fmt: skip


def test_a_catalogue_without_some_entries_falls_back_to_english(tmp_path):
    write_pseudo_catalogue(tmp_path, drop=("tab.lesson", "error.busy")).rename(tmp_path / "yy.json")
    (tmp_path / "yy.classes.txt").write_text("".join(f"[[{name}]]\n" for name in class_names("en")), "utf-8")
    i18n.add_catalogue_folder(tmp_path)
    try:
        assert text("tab.explore", "yy") == "[[Explore]]" and text("tab.lesson", "yy") == "Lesson"
        assert text("error.busy", "yy", limit=3).startswith("You already have 3 requests")
        assert class_names("yy")[0] == f"[[{class_names('en')[0]}]]"
    finally:
        i18n.remove_catalogue_folder(tmp_path)
    assert "yy" not in languages()
    with pytest.raises(ValueError, match="Unknown language"):
        text("tab.explore", "yy")
