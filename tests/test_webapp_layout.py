"""The web package stays readable: every module, JavaScript and CSS included, at most 300 lines."""

from pathlib import Path

import pytest

WEBAPP = Path(__file__).resolve().parents[1] / "cnnattn" / "webapp"
MODULES = sorted(p for p in WEBAPP.rglob("*") if p.suffix in (".py", ".js", ".css"))


def test_the_package_has_modules():
    assert {p.name for p in MODULES} >= {"app.py", "explore.py", "lesson.py", "view.js"}


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(WEBAPP)))
def test_module_is_at_most_300_lines(module):
    assert len(module.read_text(encoding="utf-8").splitlines()) <= 300
