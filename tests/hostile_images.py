"""Bad and awkward image files, built in memory from a packaged photo or from raw headers.

Huge images are headers only: a few hundred bytes that declare 20000x20000 pixels, so a loader
that decodes before checking would allocate gigabytes.
"""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

ORIENTATION = 0x0112  # EXIF tag
GPS_INFO = 0x8825  # EXIF tag


def cheetah_path() -> Path:
    from gradio.media import get_image

    return Path(get_image("cheetah.jpg"))


def cheetah(size: tuple[int, int] | None = None) -> Image.Image:
    image = Image.open(cheetah_path()).convert("RGB")
    return image.resize(size) if size else image


def encode(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares width x height RGB pixels but holds almost no data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _png_chunk(b"IEND", b"")
    )


def png_zero_bomb(width: int, height: int) -> bytes:
    """A real, complete PNG of black pixels: a few hundred KB that inflate to width*height*3 bytes."""
    row = b"\0" * (1 + 3 * width)  # filter byte + RGB
    deflate = zlib.compressobj(9)
    body = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")


def gif_header(width: int, height: int) -> bytes:
    small = bytearray(encode(cheetah((32, 32)), "GIF"))
    small[6:10] = struct.pack("<HH", width, height)  # logical screen size
    return bytes(small)


def bmp_header(width: int, height: int) -> bytes:
    row = (width * 3 + 3) & ~3
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, row * height, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + 16, 0, 0, 14 + 40) + info + b"\0" * 16


def jpeg_header(width: int, height: int) -> bytes:
    data = bytearray(encode(cheetah((32, 32)), "JPEG"))
    sof = data.index(b"\xff\xc0")  # baseline frame header: length(2) precision(1) height(2) width(2)
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def sixteen_bit_png() -> bytes:
    """A 16-bit grayscale gradient from 0 to 65535."""
    gradient = np.linspace(0, 65535, 256, dtype=np.float64)[None, :].repeat(64, axis=0)
    return encode(Image.fromarray(gradient.astype(np.uint16)), "PNG")


def cmyk_jpeg() -> bytes:
    return encode(cheetah().convert("CMYK"), "JPEG", quality=95)


def rgba_png() -> bytes:
    """Left half fully transparent, right half opaque red."""
    pixels = np.zeros((64, 128, 4), np.uint8)
    pixels[:, 64:] = (255, 0, 0, 255)
    return encode(Image.fromarray(pixels, "RGBA"), "PNG")


def grayscale_jpeg() -> bytes:
    return encode(cheetah().convert("L"), "JPEG")


def palette_png_with_transparency() -> bytes:
    image = cheetah((96, 64)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return encode(image, "PNG", transparency=0)


def exif_rotated_jpeg() -> bytes:
    """Stored 128x64 with the left half red and the right half blue, EXIF orientation 6.

    Orientation 6 means "rotate 90 degrees clockwise to display": the user sees a 64x128
    portrait whose top half is red.
    """
    pixels = np.zeros((64, 128, 3), np.uint8)
    pixels[:, :64] = (255, 0, 0)
    pixels[:, 64:] = (0, 0, 255)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    return encode(Image.fromarray(pixels), "JPEG", exif=exif, quality=95)


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[GPS_INFO] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    return encode(cheetah(), "JPEG", exif=exif)


def animated_gif() -> bytes:
    """Two frames: red, then blue. The first frame is the one shown as a still."""
    red = Image.new("RGB", (64, 64), (255, 0, 0))
    blue = Image.new("RGB", (64, 64), (0, 0, 255))
    return encode(red, "GIF", save_all=True, append_images=[blue], duration=100, loop=0)


def one_pixel_png() -> bytes:
    return encode(Image.new("RGB", (1, 1), (0, 128, 0)), "PNG")


def panorama_png() -> bytes:
    return encode(Image.new("RGB", (2000, 40), (0, 128, 0)), "PNG")


def truncated_jpeg() -> bytes:
    data = cheetah_path().read_bytes()
    return data[: len(data) // 2]


def eps() -> bytes:
    """A minimal EPS that PIL identifies (its loader would run Ghostscript to draw it)."""
    return (
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\n%%EndComments\n"
        b"0 0 moveto 64 64 lineto stroke\nshowpage\n%%EOF\n"
    )


def psd(width: int = 32, height: int = 32) -> bytes:
    """A minimal uncompressed 8-bit RGB Photoshop file."""
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, height, width, 8, 3)
    sections = struct.pack(">III", 0, 0, 0)  # colour mode data, image resources, layers: all empty
    return header + sections + struct.pack(">H", 0) + b"\x80" * (3 * width * height)


def oversized_jpeg(limit: int) -> bytes:
    """A valid JPEG padded past `limit` bytes (decoders ignore data after the end marker)."""
    data = cheetah_path().read_bytes()
    return data + b"\0" * (limit - len(data) + 1024)
