"""The page's one script, built from the ES modules in static/ (a folder per concern) by ordering them by
their imports and dropping the import and export lines: a pip user needs no node, and the modules stay
what node's tests import (tests/js/).

Built in Python when first asked for (a few milliseconds) and cached, never committed: there is no
second copy to fall out of step with the modules. Each module runs in a function scope of its own, so
names private to one module never meet another's; what it exports becomes a name of the script's scope.

The modules keep to the part of the module syntax this build reads, and it refuses anything else:
`import { a, b } from "./relative.js";` lines, `export` before a top-level function, const, let or class,
no default exports and no renaming; no import cycles; each name exported by one module only; every module
reached from main.js.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

ENTRY = "main.js"  # sets window.cnnattn: what gradio's js_on_load and demo.load call
IMPORT = re.compile(r'^import\s*\{([^}]*)\}\s*from\s*"([^"]+)";[ \t]*\n', re.MULTILINE)
EXPORT = re.compile(r"^export\s+(?=(?:async\s+)?(?:function\*?|const|let|class)\s+([A-Za-z_$][\w$]*))", re.MULTILINE)
NAME = re.compile(r"[A-Za-z_$][\w$]*")
LEFT_OVER = re.compile(r"^(?:import|export)\b", re.MULTILINE)
# An inline <script> ends at the first "</script" whatever JavaScript means by it, and "<!--" changes how
# the HTML parser looks for that end.
NOT_IN_SCRIPT = re.compile(r"</script|<!--", re.IGNORECASE)


class ScriptError(ValueError):
    """A module this build cannot read as it must (named, with the reason)."""


@dataclass(frozen=True)
class Module:
    path: str  # relative to static/, e.g. "weights/softmax.js"
    imports: dict[str, tuple[str, ...]]  # imported module's path -> the names taken from it
    exports: tuple[str, ...]
    body: str  # the source without its import lines and export keywords


def read_module(path: str, source: str) -> Module:
    imports: dict[str, tuple[str, ...]] = {}
    for names, target in IMPORT.findall(source):
        if not target.startswith("./") and not target.startswith("../"):
            raise ScriptError(f"{path}: imports {target!r}; only relative paths to modules in static/")
        taken = tuple(name.strip() for name in names.split(",") if name.strip())
        if not all(NAME.fullmatch(name) for name in taken):
            raise ScriptError(f"{path}: renames an import ({names.strip()}); import names as they are")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        imports[resolved] = imports.get(resolved, ()) + taken
    body = IMPORT.sub("", source)
    exports = tuple(match.group(1) for match in EXPORT.finditer(body))
    body = EXPORT.sub("", body)
    if left := LEFT_OVER.search(body):
        line = body[left.start() :].splitlines()[0]
        raise ScriptError(f"{path}: {line!r} is not an import or export this build reads")
    return Module(path, imports, exports, body)


def _sources(folder: Traversable, prefix: str = "") -> dict[str, str]:
    found = {}
    for item in folder.iterdir():
        if item.is_dir():
            found |= _sources(item, f"{prefix}{item.name}/")
        elif item.name.endswith(".js"):
            found[prefix + item.name] = item.read_text(encoding="utf-8")
    return found


def read_modules() -> dict[str, Module]:
    """Every module in cnnattn/webapp/static/, by its path there."""
    sources = _sources(resources.files("cnnattn.webapp").joinpath("static"))
    return {path: read_module(path, source) for path, source in sorted(sources.items())}


def ordered(modules: dict[str, Module]) -> list[Module]:
    """The modules main.js reaches, each after the modules it imports; refuses what cannot be built."""
    order: list[Module] = []
    visiting: list[str] = []

    def visit(path: str, importer: str) -> None:
        if path in visiting:
            raise ScriptError("import cycle: " + " -> ".join([*visiting[visiting.index(path) :], path]))
        if any(module.path == path for module in order):
            return
        if path not in modules:
            raise ScriptError(f"{importer} imports {path}, which is not in static/")
        visiting.append(path)
        for target, names in modules[path].imports.items():
            visit(target, path)
            if missing := sorted(set(names) - set(modules[target].exports)):
                raise ScriptError(f"{path} imports {', '.join(missing)} from {target}, which does not export it")
        visiting.pop()
        order.append(modules[path])

    visit(ENTRY, "the build")
    if unused := sorted(set(modules) - {module.path for module in order}):
        raise ScriptError(f"not reached from {ENTRY}: {', '.join(unused)}")
    exporters: dict[str, str] = {}
    for module in order:
        for name in module.exports:
            if name in exporters:
                raise ScriptError(f"{name} is exported by both {exporters[name]} and {module.path}")
            exporters[name] = module.path
    return order


def _scoped(module: Module) -> str:
    body = module.body.strip("\n")
    if not module.exports:  # the entry: it only runs
        return f"// {module.path}\n(() => {{\n{body}\n}})();\n"
    names = ", ".join(module.exports)
    return f"// {module.path}\nconst {{ {names} }} = (() => {{\n{body}\nreturn {{ {names} }};\n}})();\n"


def build(modules: dict[str, Module]) -> str:
    parts = [_scoped(module) for module in ordered(modules)]
    script = (
        "// cnnattn's browser code, built by cnnattn/webapp/scripts.py from cnnattn/webapp/static/ (edit those).\n"
        '(() => {\n"use strict";\n' + "\n".join(parts) + "})();\n"
    )
    if found := NOT_IN_SCRIPT.search(script):
        raise ScriptError(f"the script holds {found.group()!r}, which would end or confuse its <script> element")
    return script


@cache
def page_script() -> str:
    """The one script of the page: every module, in import order, in one function scope."""
    return build(read_modules())


def page_head() -> str:
    """The page's <head> addition (gradio's launch(head=...)): the script runs once, before any component
    is mounted, so gradio's js_on_load and demo.load find window.cnnattn."""
    return f"<script>\n{page_script()}</script>"


# What gradio runs: each view's gr.HTML js_on_load, and on page load (demo.load js).
MOUNT_VIEW = "window.cnnattn.mountGradioView(element, props, trigger, watch);"


def start_page(gradio_words: list[dict[str, str]]) -> str:
    """The page's start (demo.load js), given gradio's own untranslated words in every language."""
    return f"() => {{ window.cnnattn.startPage({json.dumps(gradio_words, ensure_ascii=False)}); }}"
START_LESSON_TEXTS = "() => { window.cnnattn.startLessonTexts(); }"
