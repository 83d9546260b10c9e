"""cnnattn: see where a convolutional network looks, through its attention heads' softmax weights.

The public names load on first use (`from cnnattn import Explainer` works as ever): importing any
`cnnattn.*` module runs this file first, and `cnnattn --help` must not wait for torch and timm.
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


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


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
