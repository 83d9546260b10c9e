"""`cnnattn --help` answers without loading torch, timm or gradio (issue 17: it took 8.5 s).

Each probe runs in a fresh interpreter, so modules the test session already imported do not count.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "timm", "torchvision", "gradio")
PROBE = """
import contextlib, io, json, sys
argv = json.loads(sys.argv[1])
out = io.StringIO()
with contextlib.redirect_stdout(out):
    if argv is None:
        import cnnattn
        from cnnattn.cli import build_parser
        build_parser()
        code = 0
    else:
        from cnnattn.cli import main
        try:
            code = main(argv)
        except SystemExit as exit:
            code = exit.code
heavy = [name for name in json.loads(sys.argv[2]) if name in sys.modules]
print(json.dumps({"code": code, "help": out.getvalue(), "loaded": heavy}))
"""


def probe(argv: list[str] | None) -> dict:
    command = [sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(HEAVY)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "argv",
    [None, ["--help"], ["serve", "--help"], ["train", "--help"], ["evaluate", "--help"]],
    ids=["import+parser", "help", "serve", "train", "evaluate"],
)
def test_help_loads_no_torch_timm_or_gradio(argv):
    result = probe(argv)
    assert result["code"] == 0
    assert result["loaded"] == [], f"{argv}: imported {result['loaded']}"


def test_explain_help_lists_head_temperatures_without_timm_or_gradio():
    """Listing the registered kinds' default temperatures needs the heads (torch), but not the backbone."""
    result = probe(["explain", "--help"])
    assert result["code"] == 0 and "class=4" in " ".join(result["help"].split())
    assert set(result["loaded"]) <= {"torch"}, result["loaded"]
