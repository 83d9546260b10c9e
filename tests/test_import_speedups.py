"""The app's imports skip work cnnattn never uses (issue 17: the start-up time), and what they defer still
works when it is called.

Each probe runs in a fresh interpreter, so modules the test session already imported do not count.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def probe(code: str) -> dict:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_app_starts_without_the_compiler_or_rewriting_gradio_stubs():
    result = probe(
        "import json, sys, cnnattn.webapp.app, timm, gradio.component_meta as meta\n"
        "print(json.dumps({'dynamo': 'torch._dynamo' in sys.modules,"
        " 'stubs': meta.create_or_modify_pyi.__name__}))"
    )
    assert result == {"dynamo": False, "stubs": "<lambda>"}


def test_what_is_deferred_still_runs_on_its_first_call():
    result = probe(
        "import json, sys, cnnattn, torch, torchvision.ops\n"
        "roi = sys.modules['torchvision.ops.roi_align']\n"
        "from timm.layers import disable_compiler\n"
        "before = 'torch._dynamo' in sys.modules\n"
        "double = disable_compiler(lambda x: 2 * x)\n"
        "from torch._dynamo.utils import is_compile_supported\n"
        "print(json.dumps({'before': before, 'double': double(torch.ones(2)).tolist(),\n"
        "  'supported': [roi.is_compile_supported('cpu'), is_compile_supported('cpu')],\n"
        "  'disabled': double.__closure__[0].cell_contents is not None}))"
    )
    assert result["before"] is False  # nothing imported the compiler until a deferred call
    assert result["double"] == [2.0, 2.0]
    assert result["supported"][0] == result["supported"][1]  # the deferred function answers as dynamo's
    assert result["disabled"]  # the first call built torch.compiler.disable's wrapper


def test_other_sources_load_unchanged(tmp_path):
    """A module whose text is not the expected one loads as it is."""
    from cnnattn import import_speedups

    module = tmp_path / "roi.py"
    module.write_text("VALUE = 1\n")
    loader = import_speedups._EditedSourceLoader("torchvision.ops.roi_align", str(module))
    namespace: dict = {}
    exec(loader.get_code("torchvision.ops.roi_align"), namespace)
    assert namespace["VALUE"] == 1
