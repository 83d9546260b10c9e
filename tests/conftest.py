"""Shared fixtures: tiny seeded tensors for head maths, the real embedded backbone for the rest."""

from pathlib import Path

import pytest
import torch

from tests import tools

SHARED = Path(__file__).resolve().parents[2] / "shared"
IMAGENET_SAMPLES = SHARED / "data" / "imagenet-samples"
COCO128 = SHARED / "data" / "coco128"


def require_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (development data from ../shared)")
    return path


def pytest_addoption(parser):
    parser.addoption(
        "--require-tools",
        action="store_true",
        help="fail, rather than skip, a test whose chromium or axe-core is not installed (CI)",
    )


def pytest_configure(config):
    tools.REQUIRED = config.getoption("--require-tools")


@pytest.fixture
def generator():
    return torch.Generator().manual_seed(0)


@pytest.fixture(scope="session")
def explainer():
    from cnnattn import Explainer

    return Explainer.load(device="cpu")


@pytest.fixture(scope="session")
def example_photos():
    """Photos that ship inside installed packages, with their expected ImageNet class."""
    from gradio.media import get_image

    return {"cheetah": Path(get_image("cheetah.jpg")), "lion": Path(get_image("lion.jpg"))}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(explainer):
    """The real Gradio app, launched once on 127.0.0.1 for API and browser tests."""
    from cnnattn.webapp import app

    demo = app.build_app(explainer)
    port = _free_port()
    app.serve(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)  # the public-server settings
    yield f"http://127.0.0.1:{port}/"
    demo.close()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def playwright():
    """One Playwright driver per test run: a second sync_playwright() in the same process fails."""
    import shutil

    if not shutil.which(CHROMIUM):
        tools.missing("Debian chromium is not installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


def launch_chromium(playwright, extra_flags=()):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS + list(extra_flags), headless=True)


@pytest.fixture(scope="module")
def browser(playwright):
    """One chromium per test module (a module may override it, e.g. with colour-profile flags)."""
    browser = launch_chromium(playwright)
    yield browser
    browser.close()


PSEUDO = "xx"  # the pseudo-language's code: no real language has it (ISO 639 leaves it unassigned)


def write_pseudo_catalogue(folder: Path, drop: tuple[str, ...] = ()) -> Path:
    """folder/xx.json: every English entry wrapped as "[[...]]" (each form of a count on its own), so any
    catalogue string the page shows reads [[...]] and a string the catalogue misses stands out in plain
    English; `drop` leaves entries out (English fills them in). docs/LIBRARY.md, "Add a language"."""
    import json

    from cnnattn.i18n import STRINGS

    def wrapped(key: str, english: str) -> str:
        forms = english.split("|") if key.startswith("count.") else [english]
        return "|".join(f"[[{form}]]" for form in forms)

    entries = {key: wrapped(key, english) for key, english in STRINGS["en"].items() if key not in drop}
    entries["language.name"] = "Pseudo"
    path = folder / f"{PSEUDO}.json"
    path.write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pseudo_language(tmp_path_factory):
    """The pseudo-language, added at run time for one test module through the loader's hook."""
    from cnnattn import i18n

    folder = tmp_path_factory.mktemp("catalogues")
    write_pseudo_catalogue(folder)
    i18n.add_catalogue_folder(folder)
    yield PSEUDO
    i18n.remove_catalogue_folder(folder)
