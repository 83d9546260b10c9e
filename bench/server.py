"""Through the server: gradio_client clients against `python app.py` and the Grad-CAM baseline app,
both on 127.0.0.1, side by side in one run. Bounded: fixed request counts, timeouts everywhere."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from bench.timing import percentile

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 240
REQUEST_TIMEOUT_S = 300
NO_DOWNLOADS = "1 client, same photo, files not fetched"


@dataclass(frozen=True)
class Served:
    name: str  # "cnnattn" or "Grad-CAM app"
    url: str
    api_name: str  # the endpoint clients call
    process: subprocess.Popen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(name: str, command: list[str], port: int, api_name: str, env: dict) -> Served:
    """Start a server process (its output in a log file) and wait until it answers on 127.0.0.1."""
    log = open(Path(tempfile.gettempdir()) / f"bench-{name.replace(' ', '_')}-{port}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode} before serving; see {log.name}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return Served(name, url, api_name, process)
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"{name} did not answer on {url} within {START_TIMEOUT_S} s; see {log.name}")


def stop(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait(timeout=20)


def _client(served: Served, downloads: Path | None):
    """downloads=None: the result holds URLs and no file is fetched (isolates transfer time)."""
    from gradio_client import Client

    return Client(served.url, verbose=False, download_files=str(downloads) if downloads else False)


def _request(client, served: Served, photo: Path) -> None:
    from gradio_client import handle_file

    client.predict(handle_file(str(photo)), api_name=f"/{served.api_name}")


def burst(served: Served, photos: list[Path], downloads: Path) -> dict:
    """One client per photo; all submit at the same instant (a barrier), each once."""
    clients = [_client(served, downloads) for _ in photos]
    gate = threading.Barrier(len(photos))
    results: list[tuple[float, float, str | None]] = [(0.0, 0.0, None)] * len(photos)

    def submit(i: int) -> None:
        gate.wait(timeout=60)
        start = time.perf_counter()
        try:
            _request(clients[i], served, photos[i])
            error = None
        except Exception as exc:  # every failure is counted and its message kept for the report
            error = f"{type(exc).__name__}: {exc}"[:300]
        results[i] = (start, time.perf_counter(), error)

    threads = [threading.Thread(target=submit, args=(i,), daemon=True) for i in range(len(photos))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT_S)
    for client in clients:
        client.close()
    return summarise(results, spread_s=max(r[0] for r in results) - min(r[0] for r in results))


def sequential(served: Served, photos: list[Path], downloads: Path | None) -> dict:
    """One client, one request after another."""
    client = _client(served, downloads)
    results = []
    for photo in photos:
        start = time.perf_counter()
        try:
            _request(client, served, photo)
            error = None
        except Exception as exc:  # counted, not raised: the report shows failures
            error = f"{type(exc).__name__}: {exc}"[:300]
        results.append((start, time.perf_counter(), error))
    client.close()
    return summarise(results, spread_s=0.0)


def summarise(results: list[tuple[float, float, str | None]], spread_s: float) -> dict:
    latencies = [end - start for start, end, error in results if error is None]
    errors = [error for *_, error in results if error is not None]
    span = max(end for _, end, _ in results) - min(start for start, _, _ in results)
    return {
        "requests": len(results),
        "failed": len(errors),
        "errors": sorted(set(errors))[:3],
        "p50_ms": 1000 * percentile(latencies, 50),
        "p95_ms": 1000 * percentile(latencies, 95),
        "throughput_rps": len(latencies) / span if span > 0 else float("nan"),
        "submit_spread_ms": 1000 * spread_s,
    }


def distinct_photos(photo: Path, count: int, folder: Path) -> list[Path]:
    """Copies of the photo differing in one pixel: same work, but no cache can serve them."""
    image = Image.open(photo).convert("RGB")
    paths = []
    for i in range(count):
        variant = image.copy()
        variant.putpixel((i % image.width, 0), (i % 256, 0, 0))
        path = folder / f"variant-{i}.png"
        variant.save(path)
        paths.append(path)
    return paths


def run(photo: Path, device: str, singles: int, bursts: list[int], env_threads: int | None) -> dict:
    """Scenarios per app, alternating apps within each scenario; both servers up the whole time."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), GRADIO_ANALYTICS_ENABLED="False")
    if env_threads:
        env["OMP_NUM_THREADS"] = str(env_threads)
    scratch = Path(tempfile.mkdtemp(prefix="cnnattn-bench-server-"))
    downloads = scratch / "downloads"
    ports = free_port(), free_port()
    cnnattn_cmd = [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(ports[0]), "--device", device]
    gradcam_cmd = [sys.executable, "bench/gradcam_app.py", "--port", str(ports[1]), "--device", device]
    served = [launch("cnnattn", cnnattn_cmd, ports[0], "explain", env)]
    try:
        served.append(launch("Grad-CAM app", gradcam_cmd, ports[1], "gradcam", env))
        cold = distinct_photos(photo, singles, scratch)
        scenarios = [("1 client, new photos (cold)", lambda s: sequential(s, cold, downloads))]
        scenarios.append(("1 client, same photo", lambda s: sequential(s, [photo] * singles, downloads)))
        scenarios.append((NO_DOWNLOADS, lambda s: sequential(s, [photo] * singles, None)))
        for size in bursts:
            scenarios.append((f"burst of {size}, same photo", lambda s, n=size: burst(s, [photo] * n, downloads)))
        for s in served:  # warm-up: first request pays lazy imports and allocator growth
            sequential(s, [photo], downloads)
        rows = []
        for scenario, measure in scenarios:
            for s in served:
                rows.append({"app": s.name, "scenario": scenario, **measure(s)})
        return {"rows": rows, "commands": [" ".join(cnnattn_cmd), " ".join(gradcam_cmd)]}
    finally:
        for s in served:
            stop(s)
