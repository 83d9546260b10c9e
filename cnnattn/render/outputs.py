"""Files the app hands out: overlays as PNG bytes, and the sweep that clears old output folders."""

from __future__ import annotations

import io
import time
from pathlib import Path

from PIL import Image


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # fast; these files are transient
    return buffer.getvalue()


def sweep(directory: Path, max_age_s: float) -> int:
    """Delete output folders older than max_age_s; returns how many were removed."""
    removed = 0
    cutoff = time.time() - max_age_s
    for folder in directory.iterdir() if directory.exists() else ():
        try:
            if folder.stat().st_mtime < cutoff:
                for file in folder.iterdir():
                    file.unlink(missing_ok=True)
                folder.rmdir()
                removed += 1
        except OSError:
            continue  # another request swept it first
    return removed
