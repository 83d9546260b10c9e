"""Which files in a folder are images: one suffix list, derived from the safe loader's format allowlist,
used by the CLI, training and evaluation alike."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from cnnattn.image.loading import ALLOWED_FORMATS

# Every file suffix PIL registers for an allowed format (.jpg, .jpeg, .jfif, .png, .tif, ...).
IMAGE_SUFFIXES = frozenset(suffix for suffix, fmt in Image.registered_extensions().items() if fmt in ALLOWED_FORMATS)


def is_image_name(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def images_in(folder: Path) -> list[Path]:
    """Image files under `folder`, recursively, sorted by path."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and is_image_name(p))


def find_images(paths: list[str | Path]) -> list[Path]:
    """Expand folders (recursively, sorted) into image files; files are taken as given, so a
    mislabelled one is named by the loader rather than silently skipped."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        found += images_in(path) if path.is_dir() else [path]
    return found
