"""Packaging: declared dependencies match the imports, `import cnnattn` stays light, the console script
works, the sdist and the wheel carry the licence, and a fresh install outside the checkout explains a
photo and serves the app."""

from __future__ import annotations

import ast
import email.parser
import functools
import importlib.metadata
import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import tarfile
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.conftest import _free_port

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Top-level names that are the project's own code, not distributions.
LOCAL = {"cnnattn", "bench", "tests", "app"}
# Modules that may only run with an extra installed: dotted prefix -> extra. Every other module of
# the package must get by with [project.dependencies] alone.
OPTIONAL_MODULES: dict[str, str] = {"cnnattn.distributed": "serve"}
# Import name -> distribution, for modules this environment does not have installed (say, an extra
# that requirements.txt does not pin yet); installed ones are mapped by importlib.metadata.
KNOWN_DISTRIBUTIONS = {"PIL": "pillow", "pytorch_grad_cam": "grad-cam", "sklearn": "scikit-learn", "yaml": "pyyaml"}
# Folders outside the package and the extra that covers their imports (beside the runtime ones).
FOLDER_EXTRAS = {"tests": "dev", "bench": "bench"}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(extra: str | None = None) -> dict[str, Requirement]:
    project = PYPROJECT["project"]
    specs = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return {normalize(r.name): r for r in map(Requirement, specs)}


def imported_names(path: Path) -> set[str]:
    """Top-level names of every absolute import in a file, including the lazy ones inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def third_party(names: set[str]) -> set[str]:
    return {n for n in names if n not in sys.stdlib_module_names and n not in LOCAL and n != "__future__"}


@functools.cache
def installed_distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()  # scans every installed distribution: once


def distributions_of(name: str) -> set[str]:
    found = installed_distributions().get(name) or [KNOWN_DISTRIBUTIONS.get(name, name)]
    return {normalize(d) for d in found}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def undeclared(files: list[Path], extra_of) -> list[str]:
    runtime = set(declared())
    problems = []
    for path in files:
        extra = extra_of(path)
        allowed = runtime | (set(declared(extra)) if extra else set())
        for name in sorted(third_party(imported_names(path))):
            if not distributions_of(name) & allowed:
                where = f"[project.optional-dependencies] {extra}" if extra else "[project.dependencies]"
                dists = "/".join(sorted(distributions_of(name)))
                problems.append(f"{module_name(path)} imports {name} ({dists}): not in {where}")
    return problems


def test_every_third_party_import_of_the_package_is_a_declared_dependency():
    def extra_of(path: Path) -> str | None:
        name = module_name(path)
        return next((e for prefix, e in OPTIONAL_MODULES.items() if f"{name}.".startswith(f"{prefix}.")), None)

    files = sorted((ROOT / "cnnattn").rglob("*.py"))
    assert len(files) > 20
    assert undeclared(files, extra_of) == [], (
        "declare each in pyproject.toml's [project.dependencies], or list the module in OPTIONAL_MODULES "
        "with the extra that provides it"
    )


@pytest.mark.parametrize("folder", sorted(FOLDER_EXTRAS))
def test_tests_and_benchmarks_import_only_runtime_dependencies_and_their_extra(folder):
    files = sorted((ROOT / folder).rglob("*.py")) + ([ROOT / "app.py"] if folder == "tests" else [])
    assert undeclared(files, lambda _: FOLDER_EXTRAS[folder]) == []


def pins() -> dict[str, Version]:
    found = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt pins exact versions: {line!r}"
            found[normalize(name.split("[")[0])] = Version(version)  # ray[serve,data] pins ray
    return found


def test_requirements_pin_every_declared_dependency_inside_its_range():
    pinned = pins()
    build = {normalize(r.name): r for r in map(Requirement, PYPROJECT["build-system"]["requires"])}
    extras = {extra: declared(extra) for extra in PYPROJECT["project"]["optional-dependencies"]}
    groups = {"runtime": declared(), "build": build} | extras
    for group, requirements in groups.items():
        for name, requirement in requirements.items():
            if group == "serve" and name not in pinned:
                continue  # the Ray extra is installed on demand, not by the README's commands
            assert name in pinned, f"{name} ({group}) is not pinned in requirements.txt"
            assert requirement.specifier.contains(pinned[name]), f"{name}=={pinned[name]} is outside {requirement}"
    everything = set().union(*groups.values())
    assert set(pinned) <= everything, f"pinned but declared nowhere: {sorted(set(pinned) - everything)}"


def test_project_metadata():
    project = PYPROJECT["project"]
    assert Version(project["version"]).major == 1
    assert project["scripts"] == {"cnnattn": "cnnattn.cli:main"}
    assert {"dev", "bench", "serve"} <= set(project["optional-dependencies"])
    assert "ray" in declared("serve")
    package_data = PYPROJECT["tool"]["setuptools"]["package-data"]["cnnattn"]
    assert "data/**/*" in package_data and "webapp/static/**/*" in package_data
    assert "py.typed" in package_data and (ROOT / "cnnattn" / "py.typed").is_file()


def test_licence_version_changelog_and_citation_agree():
    """Apache-2.0 in pyproject (PEP 639: an SPDX string and the file), LICENSE the standard text, and one
    version everywhere: pyproject, `cnnattn.__version__` in this checkout, CITATION.cff and CHANGELOG.md."""
    import cnnattn

    project = PYPROJECT["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    assert not [c for c in project["classifiers"] if c.startswith("License ::")], "PEP 639: no licence classifiers"
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.split()[:5] == ["Apache", "License", "Version", "2.0,", "January"], licence[:200]
    assert "END OF TERMS AND CONDITIONS" in licence
    version = project["version"]
    assert cnnattn.__version__ == version
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(r"^cff-version: 1\.2\.0$", citation, re.M)
    assert re.search(r"^license: Apache-2\.0$", citation, re.M)
    assert re.search(r'^version: "?([^"\n]+)"?$', citation, re.M).group(1) == version, "CITATION.cff's version"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d[^\]]*)\]", changelog, re.M)
    assert released and released[0] == version, f"CHANGELOG.md's newest version is {released[:1]}, pyproject {version}"


def test_import_cnnattn_and_the_cli_do_not_import_gradio():
    code = "import sys, cnnattn, cnnattn.cli; assert 'gradio' not in sys.modules, 'gradio was imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=300)


COMMANDS = {"explain", "serve", "train", "evaluate"}
HELPS = """
import contextlib, io, json, sys
from cnnattn.cli import main
helps = {}
for argv in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = main([*argv, "--help"])
        except SystemExit as exit:
            code = exit.code
    helps[" ".join(argv)] = [code, out.getvalue()]
print(json.dumps({"helps": helps, "gradio": "gradio" in sys.modules}))
"""


def subcommands(usage: str) -> set[str]:
    """The subcommands that `cnnattn --help` lists in its usage line: {explain,train,...}."""
    return set(re.search(r"\{([\w,-]+)\}", usage).group(1).split(","))


def check_helps(helps: dict[str, list]) -> None:
    for command, (code, text) in helps.items():
        assert code == 0, f"cnnattn {command} --help exited {code}"
        assert text.startswith(f"usage: cnnattn {command}".rstrip()) and len(text.splitlines()) > 4, text


def test_every_help_exits_0_and_imports_no_gradio():
    def run(argvs: list[list[str]]) -> dict:
        command = [sys.executable, "-c", HELPS, json.dumps(argvs)]
        return json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, check=True, timeout=300).stdout)

    result = run([[], *([c] for c in sorted(COMMANDS))])
    assert subcommands(result["helps"][""][1]) == COMMANDS, "a new subcommand: add it to COMMANDS"
    check_helps(result["helps"])
    assert not result["gradio"], "a --help imported gradio"
    app = subprocess.run([sys.executable, "app.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert app.returncode == 0 and "--checkpoints" in app.stdout


def copy_as_committed(destination: Path) -> None:
    """The files a fresh clone would have: tracked and not-ignored untracked files of the working tree."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: copy all but builds and caches
        ignore = shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", "*.egg-info", "build", ".cache", ".*_cache", "node_modules"
        )
        shutil.copytree(ROOT, destination, ignore=ignore)
        return
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is listed too
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


BUILD = """
import sys
from setuptools import build_meta
print("built:", getattr(build_meta, sys.argv[1])(sys.argv[2]))
"""


def build(hook: str, source: Path, out: Path) -> Path:
    """One PEP 517 hook of the backend pyproject names (`build_sdist` or `build_wheel`), run in `source`."""
    result = subprocess.run(
        [sys.executable, "-c", BUILD, hook, str(out)], cwd=source, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (name,) = (line.removeprefix("built: ") for line in result.stdout.splitlines() if line.startswith("built: "))
    return out / name


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The sdist of a fresh copy of the checkout and the wheel built from that sdist, as `python -m build`
    makes them (a file the sdist forgot fails the wheel). Built with this environment's setuptools, which
    requirements.txt pins inside [build-system]'s range; a few seconds."""
    assert PYPROJECT["build-system"]["build-backend"] == "setuptools.build_meta"
    for requirement in map(Requirement, PYPROJECT["build-system"]["requires"]):
        try:
            found = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            found = None
        assert found and requirement.specifier.contains(found), f"building needs {requirement}, found {found}"
    root = tmp_path_factory.mktemp("build")
    clone, dist, unpacked = root / "clone", root / "dist", root / "sdist"
    copy_as_committed(clone)
    sdist = build("build_sdist", clone, dist)
    with tarfile.open(sdist) as archive:
        archive.extractall(unpacked, filter="data")
    (source,) = unpacked.iterdir()
    wheel = build("build_wheel", source, dist)
    shutil.rmtree(clone)
    shutil.rmtree(unpacked)
    return {"sdist": sdist, "wheel": wheel}


def core_metadata(text: str) -> dict[str, list[str]]:
    """Core metadata (PKG-INFO, METADATA): RFC 822 headers, some repeated."""
    headers = email.parser.HeaderParser().parsestr(text)
    return {key: headers.get_all(key) for key in set(headers.keys())}


def test_sdist_and_wheel_carry_the_licence_py_typed_and_the_licence_metadata(built):
    version = str(Version(PYPROJECT["project"]["version"]))
    licence = (ROOT / "LICENSE").read_bytes()
    top, info = f"cnnattn-{version}", f"cnnattn-{version}.dist-info"
    with tarfile.open(built["sdist"]) as sdist:
        assert f"{top}/cnnattn/py.typed" in sdist.getnames()
        assert sdist.extractfile(f"{top}/LICENSE").read() == licence
        sdist_metadata = core_metadata(sdist.extractfile(f"{top}/PKG-INFO").read().decode())
    with zipfile.ZipFile(built["wheel"]) as wheel:
        assert "cnnattn/py.typed" in wheel.namelist()
        assert wheel.read(f"{info}/licenses/LICENSE") == licence
        wheel_metadata = core_metadata(wheel.read(f"{info}/METADATA").decode())
    for name, metadata in (("sdist", sdist_metadata), ("wheel", wheel_metadata)):
        assert metadata["Version"] == [version], name
        assert metadata.get("License-Expression") == ["Apache-2.0"], name
        assert metadata.get("License-File") == ["LICENSE"], name


def wait_for_http(url: str, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"cnnattn serve exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise AssertionError(f"cnnattn serve did not answer {url} within {timeout_s} s")


@pytest.mark.slow
def test_fresh_install_outside_the_checkout_explains_and_serves(tmp_path, built):
    """`pip install` of the wheel (built from the sdist of a fresh copy) into a new venv, then the console
    script from elsewhere.

    Isolation: the new venv (`python -m venv --without-pip`) has nothing of its own but cnnattn. The
    dependencies already installed for the tests (torch alone is ~6 GB) are made visible through one
    `.pth` file in its site-packages that lists this interpreter's site-packages: a `.pth` line only
    appends that folder to sys.path, after the venv's own, so the installed cnnattn is found first and
    the other folder's own `.pth` hooks (an editable cnnattn, say) stay inactive. `--system-site-packages`
    would not do: it exposes the base interpreter's packages, not this venv's. pip comes from there
    too and installs into the new venv (its sys.prefix); it checks every declared dependency against
    what it sees, offline (`--no-index`). About a minute on 2 busy cores besides the build: venv and
    install ~7 s, `--help` ~10 s, import check and explain ~25 s, server start ~16 s.
    """
    venv, elsewhere = tmp_path / "venv", tmp_path / "elsewhere"
    started = time.monotonic()

    def took(step: str) -> None:  # shown by `pytest -rP`: where the minute goes
        nonlocal started
        print(f"{step}: {time.monotonic() - started:.1f} s")
        started = time.monotonic()

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python, script = venv / "bin" / "python", venv / "bin" / "cnnattn"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], capture_output=True, text=True
    ).stdout.strip()
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib"), *site.getsitepackages()])
    (Path(purelib) / "_cnnattn_test_dependencies.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", "PYTHONNOUSERSITE": "1"}
    env |= {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    install = subprocess.run(
        [python, "-m", "pip", "install", "--no-index", str(built["wheel"])],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    elsewhere.mkdir()
    took("venv, pip install of the wheel")

    def run(*args, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600, **kwargs)

    assert shutil.which("cnnattn", path=env["PATH"]) == str(script)
    result = run(script, "--help")  # each subcommand's --help: test_every_help_exits_0_and_imports_no_gradio
    check_helps({"": [result.returncode, result.stdout]})
    took("cnnattn --help")

    check = """
import importlib.metadata, pathlib, sys, cnnattn
from cnnattn.labels import class_names
assert "gradio" not in sys.modules, "import cnnattn imported gradio"
assert len(class_names("zh")) == 1000
metadata = importlib.metadata.metadata("cnnattn")
assert cnnattn.__version__ == metadata["Version"] == sys.argv[1], (cnnattn.__version__, metadata["Version"])
assert metadata["License-Expression"] == "Apache-2.0", metadata["License-Expression"]
assert (pathlib.Path(cnnattn.__file__).parent / "py.typed").is_file(), "py.typed is not installed"
licences = [f for f in importlib.metadata.files("cnnattn") if f.name == "LICENSE"]
assert licences and "Apache License" in licences[0].read_text(encoding="utf-8"), licences
print(cnnattn.__file__)
"""
    result = run(python, "-c", check, str(Version(PYPROJECT["project"]["version"])))
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(venv), result.stdout  # the installed copy, not a checkout

    from gradio.media import get_image

    result = run(script, "explain", get_image("cheetah.jpg"), "--out", "r.jsonl")
    assert result.returncode == 0, result.stderr
    assert "note:" not in result.stderr, result.stderr  # both trained heads load from the package data
    lines = (elsewhere / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["predictions"][0]["label"] == "cheetah"
    assert {"class", "simple", "self"} <= {m["kind"] for m in record["maps"]}
    for m in record["maps"]:
        assert abs(sum(map(sum, m["weights"])) - 1) < 1e-4

    took("import check and cnnattn explain")
    port = _free_port()
    with open(tmp_path / "serve.log", "w") as log:
        server = subprocess.Popen(
            [script, "serve", "--port", str(port)], cwd=elsewhere, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/", server, timeout_s=300)
            took("cnnattn serve until it answers")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{(tmp_path / 'serve.log').read_text()[-3000:]}") from None
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
