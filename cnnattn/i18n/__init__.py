"""Every user-facing string, from one catalogue per language: `cnnattn/i18n/<code>.json` (package data), a
flat {key: template} read on first use. The web page, the lesson, the readouts, the errors and the head
names of the cards all read it; the browser gets its share from the web layer once.

English names every key and is every other language's fallback: a catalogue may lack a key (its English
is shown), never add one. Templates follow str.format; a count's entry is "singular|plural" or one form
(`count`); LaTeX sits between $...$ (inline) or $$...$$ (display). Class names lie beside each catalogue
(`<code>.classes.txt`, read by `cnnattn.labels`). A language is added by dropping its files here or into
a folder given to `add_catalogue_folder` (docs/LIBRARY.md, "Add a language").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType

ENGLISH = "en"
_SHIPPED = files("cnnattn.i18n")
_added: list[Path] = []  # add_catalogue_folder's folders, newest first, all searched before the shipped one


def add_catalogue_folder(folder: str | Path) -> None:
    """Read catalogues (`<code>.json`) and class names (`<code>.classes.txt`) from `folder` too, before the
    shipped ones: a new language without reinstalling, or the tests' pseudo-language. Add it before the
    page is built (`cnnattn.webapp.app.build_app` words its language switch once)."""
    _added.insert(0, Path(folder))
    _forget()


def remove_catalogue_folder(folder: str | Path) -> None:
    """Undo `add_catalogue_folder` (the tests add their pseudo-language for one module)."""
    _added.remove(Path(folder))
    _forget()


def _forget() -> None:
    for cached in (languages, language_file, _entries, catalogue):
        cached.cache_clear()


@cache
def languages() -> tuple[str, ...]:
    """Every language with a catalogue: English first, then by code."""
    names = [entry.name for folder in _folders() for entry in folder.iterdir()]
    codes = {name.removesuffix(".json") for name in names if name.endswith(".json")}
    return (ENGLISH, *sorted(codes - {ENGLISH}))


def _folders() -> list[Traversable]:
    return [*(folder for folder in _added if folder.is_dir()), _SHIPPED]


@cache
def language_file(language: str, suffix: str) -> Traversable | None:
    """`<language><suffix>` from the first folder that has it (an added one before the shipped), or None."""
    for folder in _folders():
        if (path := folder / f"{language}{suffix}").is_file():
            return path
    return None


@cache
def _entries(language: str) -> Mapping[str, str]:
    """The language's catalogue as its file has it (no fallback)."""
    path = language_file(language, ".json")
    if path is None:
        raise ValueError(f"Unknown language {language!r}; choose one of {languages()}.")
    return MappingProxyType(json.loads(path.read_text(encoding="utf-8")))


@cache
def catalogue(language: str) -> Mapping[str, str]:
    """Every key, worded in `language` where its catalogue has it and in English where not."""
    return MappingProxyType({**_entries(ENGLISH), **_entries(language)})


def template(key: str, language: str = ENGLISH) -> str:
    """One entry unformatted: what the browser fills itself."""
    return catalogue(language)[key]


def text(key: str, language: str = ENGLISH, **values) -> str:
    entry = template(key, language)
    return entry.format(**values) if values else entry


def count(key: str, n: int, language: str = ENGLISH) -> str:
    """A number with its noun, e.g. "1 position" / "2 positions" / "2 个位置": entries hold "singular|plural"
    (English) or one form (Chinese, which has no plural)."""
    forms = text(key, language, n=n).split("|")
    return forms[0] if n == 1 or len(forms) == 1 else forms[1]


def has(key: str) -> bool:
    """Whether `key` is an entry (English names every key): kinds without an entry of their own use a generic one."""
    return key in _entries(ENGLISH)


def language_choices() -> list[tuple[str, str]]:
    """(name, code) of every language for the page's switch, each named by its own catalogue."""
    return [(_entries(code).get("language.name", code), code) for code in languages()]


def resolve_language(value: str | None) -> str:
    """A browser locale such as "zh-CN" or "en-GB" -> "zh" or "en"; a language without a catalogue -> "en"."""
    code = (value or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in languages() else ENGLISH


class ByLanguage(Mapping):
    """Something worded in each language, made from the catalogues when asked for: `TABLE[code]`."""

    def __init__(self, make: Callable[[str], object]):
        self._make = make

    def __getitem__(self, language: str):
        if language not in languages():
            raise KeyError(language)
        return self._make(language)

    def __iter__(self) -> Iterator[str]:
        return iter(languages())

    def __len__(self) -> int:
        return len(languages())


STRINGS = ByLanguage(_entries)  # every catalogue as its file has it, e.g. for checks that each is complete


# Latin-script words a Chinese page may show: model, method and format names, colormaps, units. Checked
# on every lesson view by the tests (at most 30 entries); anything else in Latin script is untranslated.
CHINESE_ALLOWLIST = frozenset({
    "cnnattn", "efficientnet_lite0", "EfficientNet-Lite0", "ImageNet", "Grad-CAM", "Spearman", "softmax",
    "SimpleAttention", "SelfAttention", "logit", "exp", "ReLU", "GPU", "MB", "JPEG", "PNG", "WEBP", "GIF", "BMP",
    "TIFF", "JSON", "npy", "inferno", "viridis", "cividis", "magma", "plasma", "turbo", "gray", "iPod",
})  # fmt: skip
_LATEX = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.DOTALL)
_HTML_TAG = re.compile(r"</?(?:details|summary)>")  # markup of the "exact numbers" blocks, never shown
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*")


def untranslated_words(shown: str, allowed: frozenset[str] = CHINESE_ALLOWLIST) -> list[str]:
    """Latin-script words of two or more letters in `shown`, outside LaTeX formulas, HTML tags and `allowed`:
    what a Chinese page must not contain. Single letters are maths (T, H, k, x)."""
    allowed = {word.lower() for word in allowed}  # "JSON" also allows the file suffix ".json"
    words = _WORD.findall(_LATEX.sub(" ", _HTML_TAG.sub(" ", shown)))
    return [word for word in words if sum(c.isalpha() for c in word) > 1 and word.lower() not in allowed]
