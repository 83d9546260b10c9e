"""The one safe image loader used by the app, the CLI and training.

Untrusted bytes go through size, format and pixel checks before any full decode; whatever the
file's mode, the result is an 8-bit RGB image upright as the user sees it, with no metadata (a large
JPEG decoded at reduced scale notes its real size, read by `photo_size`).
"""

from __future__ import annotations

import io
import os
import stat
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageOps

from cnnattn.errors import UserError

MAX_FILE_BYTES = 25 * 1024 * 1024  # larger uploads are refused before reading
MAX_PIXELS = 40_000_000  # 40 MP: a large phone photo; beyond that decoding costs too much memory
MIN_SIDE = 16  # smaller images hold no spatial structure to attend to
MAX_ASPECT = 10.0  # panoramas wider than this would give a one-row attention grid
# Parsers users need; PIL's others (EPS runs Ghostscript, PSD and many legacy formats) stay closed.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
# EXIF orientations that turn the photo by 90 degrees (transpose, rotate 270, transverse, rotate 90).
TURNED_ORIENTATIONS = (5, 6, 7, 8)
# `Image.info` entry of a JPEG decoded at a reduced scale: (decoded size, the photo's real size).
REAL_SIZE_KEY = "cnnattn.real_size"
# PIL's own bomb limit, for any decode in this process that skips the loader (a library's, gradio's): it
# refuses twice this (80 MP) in Image.open, where its default is 179 MP.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageRejected(UserError):
    """The input is not an image cnnattn can use; the message is one sentence for the user, and its key
    (an "error.image.*" entry of the catalogues, `cnnattn.i18n`) words it in other languages."""


def load_image(source: str | Path | bytes | Image.Image) -> Image.Image:
    """Open a path, raw bytes or PIL image safely and return an upright 8-bit RGB image."""
    if isinstance(source, Image.Image):
        return _noting_size(_to_rgb(_check_dimensions(source)), photo_size(source))
    data = _read_bytes(source)
    with warnings.catch_warnings():
        # PIL's bomb warning (above MAX_PIXELS) is left to _check_dimensions, which refuses the same images
        # right after the header with their size; its other warnings (corrupt EXIF, truncated TIFF tags)
        # would only flood a public server's log.
        warnings.simplefilter("ignore", UserWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            _check_dimensions(image)
            real_size = _upright_size(image)  # from the header: draft mode decodes fewer pixels
            if image.format == "JPEG":
                image.draft("RGB", _draft_size(image.size))
            image = ImageOps.exif_transpose(image)  # loads pixels; the first frame of animations
            return _noting_size(_to_rgb(image), real_size)
        except ImageRejected:
            raise
        except Image.DecompressionBombError as exc:
            raise ImageRejected("error.image.too_many_pixels_to_decode", limit=MAX_PIXELS) from exc
        except Image.UnidentifiedImageError as exc:
            raise ImageRejected("error.image.not_an_image", formats=", ".join(ALLOWED_FORMATS)) from exc
        except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError, TypeError) as exc:
            # PIL's parsers report damaged files with all of these; none is the user's to debug.
            raise ImageRejected("error.image.damaged") from exc


def _read_bytes(source: str | Path | bytes) -> bytes:
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore the flag.
            with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as file:
                if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                    raise ImageRejected("error.image.not_a_file", name=path.name)  # a FIFO or /dev/zero never ends
                data = file.read(MAX_FILE_BYTES + 1)  # bounded: the file may grow after any size check
        except ImageRejected:
            raise
        except OSError as exc:
            raise ImageRejected("error.image.unreadable", name=path.name, reason=exc.strerror or exc) from exc
    if len(data) > MAX_FILE_BYTES:
        raise ImageRejected("error.image.too_large", limit_mb=MAX_FILE_BYTES // 2**20)  # read is bounded: no size
    if not data:
        raise ImageRejected("error.image.empty")
    return data


def _check_dimensions(image: Image.Image) -> Image.Image:
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageRejected("error.image.too_many_pixels", width=width, height=height, limit_mp=MAX_PIXELS // 1_000_000)
    if min(width, height) < MIN_SIDE:
        raise ImageRejected("error.image.too_small", width=width, height=height, min_side=MIN_SIDE)
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise ImageRejected("error.image.too_narrow", width=width, height=height, max_aspect=MAX_ASPECT)
    return image


def photo_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) of the photo as the user sees it (upright). A large JPEG is decoded at 1/2 to 1/8
    scale, so `image.size` is smaller than the photo; `load_image` notes the real size, which is trusted
    only while the image keeps its decoded size (PIL copies `info` into resized copies too)."""
    decoded, real = image.info.get(REAL_SIZE_KEY, (None, None))
    return tuple(real) if decoded == image.size else image.size


def _noting_size(image: Image.Image, real_size: tuple[int, int]) -> Image.Image:
    if tuple(real_size) != image.size:
        image.info[REAL_SIZE_KEY] = (image.size, tuple(real_size))
    return image


def _upright_size(image: Image.Image) -> tuple[int, int]:
    """The opened (not yet decoded) image's size after `ImageOps.exif_transpose`."""
    width, height = image.size
    turned = image.getexif().get(ExifTags.Base.Orientation) in TURNED_ORIENTATIONS
    return (height, width) if turned else (width, height)


def _draft_size(size: tuple[int, int]) -> tuple[int, int]:
    # JPEG can decode at 1/2, 1/4, 1/8 scale almost for free; keep at least ~1024 px on the short side.
    width, height = size
    scale = max(1024 / min(width, height), 1 / 8)
    return max(1, int(width * scale)), max(1, int(height * scale))


def _to_rgb(image: Image.Image) -> Image.Image:
    """Explicit conversions: 16-bit and float scaled (not clipped), alpha composited on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        peak = float(values.max(initial=0.0))
        top = 65535.0 if image.mode.startswith("I;16") or peak > 255 else 255.0
        if image.mode == "F" and peak <= 1.0:
            top = 1.0  # float images usually hold 0..1
        image = Image.fromarray(np.clip(values / top * 255.0, 0, 255).astype(np.uint8), mode="L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    rgb = image.convert("RGB")
    # A fresh image carries no EXIF, GPS or ICC metadata into anything rendered from it.
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean
