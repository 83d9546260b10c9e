"""One launch for every way the app is served (cnnattn/webapp/launch.py): `python app.py` / `cnnattn serve`
and the front end of `cnnattn serve --ray` get the same queue, per-session cap, gradio patches and
allocator settings; only the default concurrency differs, on purpose. And the CLI and the web app no
longer import each other.

Both modes run their real `run(args)` on a free 127.0.0.1 port, the launch made non-blocking and the
session's model reused for the front end's load. The Ray mode starts a real local cluster and deploys a
real replica, as `cnnattn serve --ray` does; its run returns once the page is launched, and leaving the
cluster's context stops every Ray process it started (the test checks).
"""

import ast
import inspect
import logging
import tempfile
import threading
from pathlib import Path

import pytest
from gradio import blocks, state_holder

from cnnattn import Explainer
from cnnattn.webapp import launch as launch_module
from cnnattn.webapp import memory
from cnnattn.webapp.gradio_internals import LazySessionState
from tests.conftest import _free_port

PACKAGE = Path(__file__).resolve().parents[1] / "cnnattn"


@pytest.fixture
def launched(monkeypatch, explainer):
    """Runs of `launch` (demo, concurrency) and of the memory settings, each launch non-blocking."""
    from cnnattn.webapp import app

    runs = []
    during = []  # the memory calls of the launch running now (not the ones run() makes before it)
    stock = launch_module.launch

    def recording_launch(demo, listen, concurrency=launch_module.LOCAL_CONCURRENCY, **extra):
        during.clear()
        runs.append({"demo": demo, "concurrency": concurrency, "listen": listen})
        try:
            return stock(demo, listen, concurrency, prevent_thread_lock=True, quiet=True, **extra)
        finally:
            runs[-1]["memory"] = during[:]

    def recording(name):
        original = getattr(memory, name)

        def record(*args, **kwargs):
            result = original(*args, **kwargs)
            during.append((name, result))
            return result

        return record

    monkeypatch.setattr(launch_module, "launch", recording_launch)
    monkeypatch.setattr(app, "launch", recording_launch)  # app.run's own name for it
    monkeypatch.setattr(memory, "limit_allocator", recording("limit_allocator"))
    monkeypatch.setattr(memory, "start_trimming", recording("start_trimming"))
    monkeypatch.setattr(Explainer, "load", lambda *args, **kwargs: explainer)  # the session's model, once
    handlers = logging.getLogger("cnnattn").handlers[:]  # serve.run adds a stderr handler
    level = logging.getLogger("cnnattn").level
    yield runs
    for run in runs:
        run["demo"].close()
    logging.getLogger("cnnattn").handlers[:] = handlers
    logging.getLogger("cnnattn").setLevel(level)


def settings(run: dict) -> dict:
    """What the launch set on one served demo and on the process."""
    demo = run["demo"]
    push = demo._queue.push
    limited = push.__name__ == "limited_push"  # gradio_internals.limit_jobs_per_session's wrapper
    return {
        "queue size": demo._queue.max_size,
        "per-session cap": limited and inspect.getclosurevars(push).nonlocals["limit"],
        "api_open": demo.api_open,
        "session state": state_holder.SessionState,
        "html update marker dropped": getattr(blocks.postprocess_update_dict, "drops_update_marker", False),
        "max file size": demo.max_file_size,
        "show_error": demo.show_error,
        "memory": [name for name, _ in run["memory"]],
        "allocator taken": dict(run["memory"]).get("limit_allocator"),
    }


def serve_args(*options: str):
    from cnnattn.cli import build_parser

    return build_parser("serve").parse_args(["serve", "--port", str(_free_port()), "--device", "cpu", *options])


def run_local(monkeypatch):
    from cnnattn.webapp import app

    monkeypatch.setattr(state_holder, "SessionState", LazySessionState.__bases__[0])  # gradio's own, to see it set
    return app.run(serve_args())


def run_on_ray(monkeypatch, replicas: int, temp_dir: str) -> tuple[int, set[int]]:
    """serve.run on a real local cluster; returns its exit code and the Ray processes it started."""
    from cnnattn.distributed import cluster, serve

    monkeypatch.setattr(state_holder, "SessionState", LazySessionState.__bases__[0])
    started: list[cluster.RayCluster] = []
    stock_enter = cluster.RayCluster.__enter__

    def entered(self):
        started.append(stock_enter(self))
        return started[-1]

    monkeypatch.setattr(cluster.RayCluster, "__enter__", entered)  # to see its processes, after it stops
    settings = cluster.LocalSettings(num_cpus=2, object_store_mb=128, temp_dir=temp_dir)
    code = serve.run(serve_args("--ray", "--replicas", str(replicas)), settings)
    return code, started[0].alive()


def test_local_and_ray_front_end_launch_with_the_same_settings(monkeypatch, launched):
    from cnnattn.distributed.cluster import LOOPBACK_NODE_ENV

    # Ray reads this when first imported, here: as RayCluster sets it for a local cluster, or the real
    # clusters of test_ray.py, later in the same process, would bind every interface.
    monkeypatch.setenv(LOOPBACK_NODE_ENV, "0")
    pytest.importorskip("ray")
    from cnnattn.distributed.deployment import MAX_BATCH_SIZE

    assert run_local(monkeypatch) == 0
    with tempfile.TemporaryDirectory(prefix="cnnattn-ray-") as temp_dir:  # a short path: Ray's sockets
        code, left_running = run_on_ray(monkeypatch, replicas=1, temp_dir=temp_dir)
    assert code == 0
    assert left_running == set(), "Ray processes outlived the front end's cluster"
    local, ray = launched
    assert local["listen"].host == ray["listen"].host == "127.0.0.1"  # --host's default: this machine only
    expected = {
        "queue size": launch_module.QUEUE_SIZE,
        "per-session cap": launch_module.JOBS_PER_SESSION,
        "api_open": False,
        "session state": LazySessionState,
        "html update marker dropped": True,
        "max file size": launch_module.launch_options("127.0.0.1", 0)["max_file_size"],
        "show_error": False,
        "memory": ["limit_allocator", "start_trimming"],
        "allocator taken": memory._glibc() is not None,
    }
    assert settings(local) == expected
    assert settings(ray) == expected
    if memory._glibc() is not None:
        trimming = [t for t in threading.enumerate() if t.name == "cnnattn-malloc-trim"]
        assert len(trimming) == 1 and trimming[0].daemon
    # The one difference, on purpose: one model pass at a time in-process, full batches for every replica on Ray.
    assert local["demo"]._queue.default_concurrency_limit == launch_module.LOCAL_CONCURRENCY == 1
    assert ray["demo"]._queue.default_concurrency_limit == MAX_BATCH_SIZE  # 1 replica


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_the_web_app_never_imports_the_cli_and_the_launch_never_imports_the_page():
    webapp = sorted((PACKAGE / "webapp").glob("*.py"))
    assert [p.name for p in webapp if "cnnattn.cli" in imports_of(p)] == []
    assert "cnnattn.webapp.app" not in imports_of(PACKAGE / "webapp" / "launch.py")
    assert "cnnattn.cli" not in imports_of(PACKAGE.parent / "app.py")
