"""cnnattn: see where a convolutional network looks, through its attention heads' softmax weights.

The public names load on first use (`from cnnattn import Explainer` works as ever): importing any
`cnnattn.*` module runs this file first, and `cnnattn --help` must not wait for torch and timm.
`cnnattn.__version__` is looked up on first use too.
"""

import importlib

from cnnattn import import_speedups

import_speedups.install()  # before gradio or torchvision is imported (see its docstring)

# Public name -> the module that defines it.
_PUBLIC = {
    "BACKBONES": "cnnattn.backbones",
    "DEFAULT_BACKBONE": "cnnattn.backbones",
    "BackboneUnavailable": "cnnattn.backbones",
    "create_backbone": "cnnattn.backbones",
    "AttentionMap": "cnnattn.explain",
    "Explainer": "cnnattn.explain",
    "Explanation": "cnnattn.explain",
    "MapRequest": "cnnattn.explain",
    "Prediction": "cnnattn.explain",
    "ClassAttention": "cnnattn.heads",
    "SelfAttention": "cnnattn.heads",
    "SimpleAttention": "cnnattn.heads",
    "ImageRejected": "cnnattn.image.loading",
    "load_image": "cnnattn.image.loading",
    "overlay": "cnnattn.render",
}


def _version() -> str:
    """The installed distribution's version; run from a source checkout, its pyproject.toml's.

    The metadata is used only when it describes these very files: a checkout run in place (the tests,
    `python app.py`) may find none, another installed cnnattn's, or an editable install's, which can be stale.
    """
    from importlib import metadata
    from pathlib import Path

    here = Path(__file__).resolve()
    try:
        distribution = metadata.distribution("cnnattn")
    except metadata.PackageNotFoundError:
        distribution = None
    if distribution is not None and Path(distribution.locate_file("cnnattn/__init__.py")).resolve() == here:
        return distribution.version
    pyproject = here.parent.parent / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "cnnattn" and "version" in project:
            return project["version"]
    return distribution.version if distribution is not None else "0+unknown"


def __getattr__(name: str):
    if name == "__version__":
        globals()[name] = _version()
        return globals()[name]
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC, "__version__"})


__all__ = [
    "BACKBONES",
    "DEFAULT_BACKBONE",
    "AttentionMap",
    "BackboneUnavailable",
    "ClassAttention",
    "Explainer",
    "Explanation",
    "ImageRejected",
    "MapRequest",
    "Prediction",
    "SelfAttention",
    "SimpleAttention",
    "create_backbone",
    "load_image",
    "overlay",
]
