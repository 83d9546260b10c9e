"""Issue 19: the browser code is a codebase of its own. Its ES modules (cnnattn/webapp/static/) each name
their Python twin; node's tests (tests/js/) check them against cases Python writes (tests/js/make_cases.py),
and those committed cases are what the twins give now; the page's one script (cnnattn/webapp/scripts.py)
holds every module, parses, and its build refuses what it cannot build."""

import re
import subprocess

import pytest

from cnnattn.webapp import scripts
from tests import tools
from tests.js import make_cases

STATIC = tools.ROOT / "cnnattn" / "webapp" / "static"
MODULES = sorted(STATIC.rglob("*.js"))


def test_the_committed_cases_are_what_the_python_twins_give_now():
    made = make_cases.all_cases()
    committed = {path.name: path.read_text(encoding="utf-8") for path in make_cases.CASES.glob("*.json")}
    assert sorted(committed) == sorted(made), "python -m tests.js.make_cases"
    stale = [name for name, text in made.items() if committed[name] != text]
    assert not stale, f"stale cases {stale}: run python -m tests.js.make_cases"


def test_node_unit_tests_pass():
    done = subprocess.run(
        [tools.node(), "--test", "tests/js/"], cwd=tools.ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 0" not in done.stdout


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(STATIC)))
def test_every_module_names_its_python_twin(module):
    header = module.read_text(encoding="utf-8").splitlines()[:6]
    assert any("Python twin:" in line for line in header), "say which Python code this mirrors, or 'none'"


def test_the_page_script_holds_every_module_once_and_parses(tmp_path):
    script = scripts.page_script()
    built = re.findall(r"^// (\S+\.js)$", script, re.MULTILINE)  # the line before each module
    assert sorted(built) == sorted(str(p.relative_to(STATIC)) for p in MODULES)
    assert built[-1] == scripts.ENTRY
    assert not [line for line in script.splitlines() if line.startswith(("import ", "export "))]
    (tmp_path / "page.js").write_text(script, encoding="utf-8")
    done = subprocess.run([tools.node(), "--check", str(tmp_path / "page.js")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert scripts.page_head() == f"<script>\n{script}</script>"


def build(sources: dict[str, str]) -> str:
    return scripts.build({path: scripts.read_module(path, text) for path, text in sources.items()})


def test_the_build_orders_modules_by_their_imports_and_scopes_each():
    script = build(
        {
            "main.js": 'import { twice } from "./b/twice.js";\nwindow.x = twice(2);\n',
            "b/twice.js": 'import { one } from "../one.js";\nconst private_ = 2;\nexport function twice(v) {\n'
            "  return v * private_ * one;\n}\n",
            "one.js": "const private_ = 1;\nexport const one = private_;\n",
        }
    )
    assert script.index("// one.js") < script.index("// b/twice.js") < script.index("// main.js")
    assert "const { one } = (() => {" in script and "return { twice };" in script
    window = subprocess.run(
        [tools.node(), "-e", f"const window = {{}};\n{script}\nprocess.stdout.write(String(window.x));"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert window.stdout == "4"  # each module's own private_ in its own scope


@pytest.mark.parametrize(
    ("sources", "refusal"),
    [
        ({"main.js": 'import { a } from "./a.js";\n', "a.js": 'import { b } from "./main.js";\nexport const a = 1;\n'},
         "import cycle: main.js -> a.js -> main.js"),
        ({"main.js": 'import { a } from "./a.js";\n', "a.js": "export const b = 1;\n"}, "does not export it"),
        ({"main.js": 'import { a } from "./gone.js";\n'}, "which is not in static/"),
        ({"main.js": 'import { a as b } from "./a.js";\n', "a.js": "export const a = 1;\n"}, "renames an import"),
        ({"main.js": 'import x from "./a.js";\n', "a.js": "export const a = 1;\n"}, "is not an import or export"),
        ({"main.js": "const a = 1;\nexport default a;\n"}, "is not an import or export"),
        ({"main.js": 'import { a } from "./a.js";\n', "a.js": "export const a = 1;\n", "b.js": "const b = 2;\n"},
         "not reached from main.js: b.js"),
        ({"main.js": 'import { a } from "./a.js";\nimport { b } from "./b.js";\n', "a.js": "export const a = 1;\n",
          "b.js": "export const b = 1;\nexport const a = 2;\n"}, "a is exported by both a.js and b.js"),
        ({"main.js": 'const tag = "</script>";\n'}, "would end or confuse its <script> element"),
        ({"main.js": 'import { a } from "lodash";\n'}, "only relative paths"),
    ],
)  # fmt: skip
def test_the_build_refuses_what_it_cannot_build(sources, refusal):
    with pytest.raises(scripts.ScriptError, match=refusal.replace("(", r"\(")):
        build(sources)
