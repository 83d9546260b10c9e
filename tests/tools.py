"""Tools outside Python that tests need: Debian chromium (browser tests), axe-core (accessibility tests)
and node (the browser modules' own tests). Without chromium or axe-core a test skips, saying how to install
it, unless pytest runs with --require-tools (as .ci/run and the README's test command do): then it fails,
so a machine missing a tool cannot pass by skipping. Without node a test always fails."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = False  # --require-tools (tests/conftest.py sets it)
# package.json pins axe-core; `npm ci` installs it (npm from the Debian package; no browser download).
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
INSTALL_NODE = "apt-get install npm, then npm ci in the checkout"


def missing(what: str) -> NoReturn:
    """Skip (fail under --require-tools) because `what` is not installed."""
    if REQUIRED:
        pytest.fail(f"{what}; --require-tools fails rather than skips")
    pytest.skip(what)


def node() -> str:
    """node's path; a test that needs it fails without it."""
    found = shutil.which("node")
    if not found:
        pytest.fail(f"node is not installed ({INSTALL_NODE})")
    return found
