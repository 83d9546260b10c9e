"""The package stays readable: every module at most 300 lines (in the web package JavaScript and CSS
included), and no function with more than 6 arguments (ruff's PLR0913, max-args in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cnnattn"
WEBAPP = PACKAGE / "webapp"
MODULES = sorted(p for p in WEBAPP.rglob("*") if p.suffix in (".py", ".js", ".css"))
# String catalogues are exempt: cnnattn/i18n/<code>.json hold every user-facing text, one language each
# (JSON, so never among the .py modules counted below).
CATALOGUES = set((PACKAGE / "i18n").glob("*.json"))
PACKAGE_MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p not in CATALOGUES and WEBAPP not in p.parents)


def test_the_package_has_modules():
    assert {p.name for p in MODULES} >= {"app.py", "explore.py", "lesson.py", "view.js"}
    assert {p.name for p in PACKAGE_MODULES} >= {"explain.py", "fit.py", "evaluate.py", "cli.py"}


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(WEBAPP)))
def test_module_is_at_most_300_lines(module):
    assert len(module.read_text(encoding="utf-8").splitlines()) <= 300


@pytest.mark.parametrize("module", PACKAGE_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_package_module_is_at_most_300_lines(module):
    assert len(module.read_text(encoding="utf-8").splitlines()) <= 300


def test_no_function_takes_more_than_6_arguments():
    """Every module of the package, with no exemption: pyproject.toml's per-file-ignores are set aside."""
    command = ["ruff", "check", "cnnattn", "--select", "PLR0913", "--config", "lint.per-file-ignores = {}"]
    found = subprocess.run(
        [sys.executable, "-m", *command, "--output-format", "concise"], cwd=ROOT, capture_output=True, text=True
    )
    assert found.returncode == 0 and "All checks passed" in found.stdout, found.stdout + found.stderr
