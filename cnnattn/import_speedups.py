"""Three imports of cnnattn's dependencies do seconds of work that cnnattn never uses; `install()` (run by
cnnattn/__init__.py, before any of them is imported) defers or skips that work and changes nothing else.

- gradio 6 rewrites its own `.pyi` type stubs in site-packages as each component class is defined, on every
  import (gradio/component_meta.py, `create_or_modify_pyi`): about 2 s of a 2-core machine's start.
- torch._dynamo (the compiler, about 2 s to import) is imported by two module-level lines that only matter
  once something is compiled: torchvision's roi_align imports it for one function its op calls (next to a
  decorator written "to avoid eagerly importing dynamo"), and timm decorates a few methods of models cnnattn
  does not offer with `torch.compiler.disable`, which imports it to build the wrapper. Both now import it
  on their first call.

Each change is made only where the module's text is the one it was written for; another version loads as
it is (just slower). Modules imported before `install()` are not changed.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import sys

EAGER_DYNAMO = "from torch._dynamo.utils import is_compile_supported\n"
LAZY_DYNAMO = (
    "def is_compile_supported(device_type):  # cnnattn: torch._dynamo loads on the first call\n"
    "    from torch._dynamo.utils import is_compile_supported as dynamo_is_compile_supported\n"
    "    return dynamo_is_compile_supported(device_type)\n"
)
SOURCE_EDITS = {"torchvision.ops.roi_align": (EAGER_DYNAMO, LAZY_DYNAMO)}


def disable_compiler_on_first_call(fn=None, recursive=True, **options):
    """`torch.compiler.disable` whose wrapper (and torch._dynamo with it) is built on the first call."""
    if fn is None:
        return functools.partial(disable_compiler_on_first_call, recursive=recursive, **options)
    disabled = None

    @functools.wraps(fn)
    def call(*args, **kwargs):
        nonlocal disabled
        if disabled is None:
            import torch

            disabled = torch.compiler.disable(fn, recursive, **options)
        return disabled(*args, **kwargs)

    return call


def skip_stub_writing(module) -> None:
    if callable(getattr(module, "create_or_modify_pyi", None)):
        module.create_or_modify_pyi = lambda *args, **kwargs: None


def defer_disable_compiler(module) -> None:
    if getattr(module, "disable_compiler", None) is not None:
        module.disable_compiler = disable_compiler_on_first_call


AFTER_IMPORT = {"gradio.component_meta": skip_stub_writing, "timm.layers.typing": defer_disable_compiler}


class _EditedSourceLoader(importlib.machinery.SourceFileLoader):
    """A module compiled from its source with one edit (no cached bytecode: the cache holds the stock
    module); the stock module where its text differs."""

    def get_code(self, fullname):
        old, new = SOURCE_EDITS[fullname]
        source = self.get_data(self.path).decode("utf-8")
        if source.count(old) != 1:
            return super().get_code(fullname)
        return compile(source.replace(old, new), self.path, "exec", dont_inherit=True)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in SOURCE_EDITS and fullname not in AFTER_IMPORT:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        if fullname in SOURCE_EDITS:
            spec.loader = _EditedSourceLoader(fullname, spec.origin)
            return spec
        stock_exec, patch = spec.loader.exec_module, AFTER_IMPORT[fullname]

        def exec_module(module):
            stock_exec(module)
            patch(module)

        spec.loader.exec_module = exec_module
        return spec


def install() -> None:
    """Idempotent; a no-op for modules already imported."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
