"""The safe loader on every kind of bad or awkward image, and a fuzz test over mutated photos."""

import io
import os
import resource
import signal
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cnnattn.image.loading import ALLOWED_FORMATS, MAX_FILE_BYTES, ImageRejected, load_image
from tests import hostile_images as bad

REJECTED = {
    "non-image": (lambda: b"this is text, not a photo\n", "not an image cnnattn can read"),
    "empty": (lambda: b"", "empty"),
    "truncated": (bad.truncated_jpeg, "damaged or truncated"),
    "zero bomb 7000x7000": (lambda: bad.png_zero_bomb(7000, 7000), "7000x7000 pixels; the limit is 40 megapixels"),
    "pil warning 10000x10000": (lambda: bad.png_header(10000, 10000), "too many pixels"),
    "png 20000x20000": (lambda: bad.png_header(20000, 20000), "too many pixels"),
    "gif 20000x20000": (lambda: bad.gif_header(20000, 20000), "too many pixels"),
    "bmp 20000x20000": (lambda: bad.bmp_header(20000, 20000), "too many pixels"),
    "jpeg 20000x20000": (lambda: bad.jpeg_header(20000, 20000), "too many pixels"),
    "1x1": (bad.one_pixel_png, "each side needs at least 16"),
    "panorama 2000x40": (bad.panorama_png, "may differ by at most 10 times"),
    "eps": (bad.eps, "not an image cnnattn can read"),
    "psd": (bad.psd, "not an image cnnattn can read"),
}


@pytest.mark.parametrize("case", REJECTED)
def test_bad_images_are_rejected_with_one_clear_sentence(case):
    build, expected = REJECTED[case]
    with pytest.raises(ImageRejected, match=expected) as info:
        load_image(build())
    message = str(info.value)
    assert message.endswith(".") and message.count(". ") == 0 and "Traceback" not in message


@pytest.mark.parametrize("build", [bad.png_header, bad.gif_header, bad.bmp_header, bad.jpeg_header])
def test_huge_headers_are_refused_without_allocating(build):
    data = build(20000, 20000)
    assert len(data) < 10_000
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with pytest.raises(ImageRejected):
        load_image(data)
    # Decoding would need 1.2 GB; the peak resident size must not move by more than noise.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 50 * 1024


def test_eps_and_psd_are_refused_by_the_allowlist_not_by_accident():
    # PIL itself would open both; only the allowlist stops them reaching the EPS (Ghostscript) and PSD parsers.
    assert Image.open(io.BytesIO(bad.eps())).format == "EPS"
    assert Image.open(io.BytesIO(bad.psd())).format == "PSD"
    assert "EPS" not in ALLOWED_FORMATS and "PSD" not in ALLOWED_FORMATS


def test_file_over_the_size_limit_is_refused_before_decoding(tmp_path):
    path = tmp_path / "huge.jpg"
    path.write_bytes(bad.oversized_jpeg(MAX_FILE_BYTES))
    with pytest.raises(ImageRejected, match=r"the limit is 25 MB"):
        load_image(path)
    with pytest.raises(ImageRejected, match=r"the limit is 25 MB"):
        load_image(path.read_bytes())


@pytest.mark.parametrize("path", ["/dev/zero", "fifo"])
def test_endless_files_are_refused_without_reading_forever(path, tmp_path):
    if path == "fifo":
        path = tmp_path / "pipe.jpg"
        os.mkfifo(path)  # opening it for reading would block until a writer came
    with pytest.raises(ImageRejected, match="not a regular file"):
        load_image(path)


def test_sixteen_bit_png_is_scaled_not_clipped():
    image = load_image(bad.sixteen_bit_png())
    row = np.asarray(image)[0, :, 0].astype(int)
    assert image.mode == "RGB"
    assert row[0] == 0 and row[-1] == 255 and 120 <= row[128] <= 135  # a full ramp, not all-white
    assert (np.diff(row) >= 0).all()


def test_cmyk_jpeg_becomes_the_same_colours():
    image = load_image(bad.cmyk_jpeg())
    reference = np.asarray(bad.cheetah(), dtype=float)
    assert image.mode == "RGB" and image.size == bad.cheetah().size
    assert np.abs(np.asarray(image, dtype=float) - reference).mean() < 8


def test_alpha_is_composited_on_white():
    pixels = np.asarray(load_image(bad.rgba_png()))
    assert (pixels[:, :60] == 255).all()  # transparent -> white
    assert (pixels[:, 70:] == (255, 0, 0)).all()


def test_grayscale_and_palette_images_become_rgb():
    gray = np.asarray(load_image(bad.grayscale_jpeg()))
    assert gray.shape[2] == 3 and (gray[..., 0] == gray[..., 1]).all() and (gray[..., 1] == gray[..., 2]).all()
    assert load_image(bad.palette_png_with_transparency()).mode == "RGB"


def test_exif_rotation_is_applied_so_maps_align_with_what_the_user_sees():
    image = load_image(bad.exif_rotated_jpeg())
    assert image.size == (64, 128)  # portrait, as every viewer shows it
    pixels = np.asarray(image, dtype=int)
    assert pixels[:60, :, 0].mean() > 200 and pixels[:60, :, 2].mean() < 50  # top half red
    assert pixels[68:, :, 2].mean() > 200 and pixels[68:, :, 0].mean() < 50  # bottom half blue


def test_explanation_size_follows_the_rotated_photo(explainer):
    assert explainer.explain(bad.exif_rotated_jpeg()).size == (64, 128)


def test_animated_gif_gives_its_first_frame():
    pixels = np.asarray(load_image(bad.animated_gif()), dtype=int)
    assert (np.abs(pixels - (255, 0, 0)) < 8).all()


def test_metadata_is_stripped():
    source = Image.open(io.BytesIO(bad.jpeg_with_gps()))
    assert bad.GPS_INFO in source.getexif()  # the fixture really carries GPS
    image = load_image(bad.jpeg_with_gps())
    assert not image.info and not image.getexif()
    saved = io.BytesIO()
    image.save(saved, format="PNG")
    assert b"SecretCam" not in saved.getvalue()


def test_large_jpeg_is_decoded_at_reduced_size_with_draft():
    data = bad.encode(bad.cheetah((4000, 3000)), "JPEG", quality=80)
    image = load_image(data)
    assert 1024 <= min(image.size) < 3000  # decoded at 1/2 scale, not full size
    assert abs(image.width / image.height - 4 / 3) < 0.01


def test_pil_image_input_gets_the_same_checks():
    with pytest.raises(ImageRejected, match="at least 16"):
        load_image(Image.new("RGB", (8, 8)))
    assert load_image(Image.new("RGBA", (32, 32))).mode == "RGB"


# --- fuzz ---------------------------------------------------------------------------------------


def _seeds() -> dict[str, bytes]:
    photo = bad.cheetah((96, 64))
    return {
        "jpeg": bad.encode(photo, "JPEG"),
        "progressive jpeg": bad.encode(photo, "JPEG", progressive=True),
        "exif jpeg": bad.exif_rotated_jpeg(),
        "png": bad.encode(photo, "PNG"),
        "16-bit png": bad.sixteen_bit_png(),
        "palette png": bad.palette_png_with_transparency(),
        "webp": bad.encode(photo, "WEBP"),
        "gif": bad.animated_gif(),
        "bmp": bad.encode(photo, "BMP"),
        "tiff": bad.encode(photo, "TIFF", compression="tiff_lzw"),
    }


SEEDS = _seeds()
FUZZ_TIMEOUT_S = 10


@contextmanager
def hard_timeout(seconds: int):
    """Fail instead of hanging: SIGALRM interrupts PIL between decoder calls."""

    def expire(signum, frame):
        raise TimeoutError(f"load_image ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@st.composite
def mutated_images(draw):
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        position = draw(st.integers(0, len(data) - 1))
        operation = draw(st.sampled_from(["flip", "byte", "truncate", "insert", "delete"]))
        if operation == "flip":
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif operation == "byte":
            data[position] = draw(st.integers(0, 255))
        elif operation == "truncate":
            data = data[: max(position, 1)]
        elif operation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=32))
        else:
            del data[position : position + draw(st.integers(1, 32))]
    return name, bytes(data)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(mutated_images())
def test_fuzz_loader_returns_rgb_or_rejects(case):
    name, data = case
    with warnings.catch_warnings(), hard_timeout(FUZZ_TIMEOUT_S):
        warnings.simplefilter("error")  # a warning escaping the loader would also be a bug
        try:
            image = load_image(data)
        except ImageRejected as exc:
            assert str(exc).endswith(".")
            return
    assert image.mode == "RGB" and min(image.size) >= 16
    assert np.asarray(image).shape == (image.height, image.width, 3)
