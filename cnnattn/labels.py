"""ImageNet-1k class names in English (from torchvision) and Simplified Chinese (shipped here)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

LANGUAGES = ("en", "zh")
_ZH_FILE = files("cnnattn") / "data" / "imagenet_classes_zh.txt"  # package data (works from a wheel or a zip)


@cache
def class_names(language: str = "en") -> tuple[str, ...]:
    """The 1000 class names in torchvision's order (index = position of the sorted wnid)."""
    if language == "en":
        from torchvision.models import ResNet50_Weights

        return tuple(ResNet50_Weights.IMAGENET1K_V2.meta["categories"])
    if language == "zh":
        names = tuple(_ZH_FILE.read_text(encoding="utf-8").splitlines())
        if len(names) != 1000:
            raise RuntimeError(f"{_ZH_FILE} has {len(names)} names, expected 1000.")
        return names
    raise ValueError(f"Unknown language {language!r}; choose one of {LANGUAGES}.")
