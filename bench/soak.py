"""Soak test: many requests against `python app.py` on 127.0.0.1, watching for anything that grows.

Records the server's resident memory, open file handles, threads and the size of its temporary
folders every few requests, and fails when the second half of the run keeps growing past the first.

    python bench/soak.py --requests 2000            # the recorded run (docs/SOAK.md)
    python bench/soak.py --requests 200 --clients 2 # a quick check
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench.server import Served, free_port, launch, stop  # noqa: E402

COLORMAPS = ("inferno", "viridis", "magma")
OPACITIES = (0.3, 0.5, 0.7)


@dataclass(frozen=True)
class Sample:
    requests: int  # requests completed when sampled
    seconds: float  # since the first request
    rss_mb: float  # server resident memory, children included
    open_files: int  # server file descriptors (files, sockets, pipes)
    threads: int
    temp_mb: float  # gradio's cache and upload folder plus the app's output folder


def folder_mb(path: Path) -> float:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue  # swept while walking
    return total / 2**20


def measure(server: psutil.Process, temp: Path, requests: int, start: float) -> Sample:
    processes = [server, *server.children(recursive=True)]
    return Sample(
        requests=requests,
        seconds=round(time.monotonic() - start, 1),
        rss_mb=round(sum(p.memory_info().rss for p in processes) / 2**20, 1),
        open_files=sum(p.num_fds() for p in processes),
        threads=sum(p.num_threads() for p in processes),
        temp_mb=round(folder_mb(temp), 1),
    )


def start_server(temp: Path) -> Served:
    """`python app.py` with its own temporary folders, so their growth is the app's alone."""
    env = {**os.environ, "GRADIO_TEMP_DIR": str(temp / "gradio"), "TMPDIR": str(temp / "tmp")}
    (temp / "tmp").mkdir(parents=True)
    port = free_port()
    command = [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)]
    return launch("cnnattn", command, port, "explain", env)


def growth(samples: list[Sample], field: str) -> tuple[float, float]:
    """(peak of the middle third, peak of the last third): a leak keeps raising the second."""
    values = [getattr(s, field) for s in samples]
    third = max(len(values) // 3, 1)
    return max(values[third : 2 * third] or values), max(values[2 * third :] or values)


# Allowed rise from the middle third to the last third: noise, not a trend.
LIMITS = {"rss_mb": (1.10, 40.0), "open_files": (1.0, 8), "threads": (1.0, 4), "temp_mb": (1.25, 20.0)}


def verdict(samples: list[Sample]) -> list[str]:
    problems = []
    for field, (ratio, slack) in LIMITS.items():
        middle, last = growth(samples, field)
        if last > middle * ratio + slack:
            problems.append(f"{field} kept growing: peak {middle} in the middle third, {last} in the last")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4, help="concurrent gradio_client sessions")
    parser.add_argument("--sample-every", type=int, default=50, help="requests between samples")
    parser.add_argument("--out", type=Path, help="write samples and verdict as JSON here")
    args = parser.parse_args(argv)

    from gradio_client import Client, handle_file

    from cnnattn.webapp.app import example_photos

    temp = Path(tempfile.mkdtemp(prefix="cnnattn-soak-"))
    try:
        server = start_server(temp)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    process = psutil.Process(server.process.pid)
    try:
        url = server.url
        downloads = str(temp / "downloads")  # the clients' own folder: /tmp/gradio is shared by every process
        clients = [Client(url, verbose=False, download_files=downloads) for _ in range(args.clients)]
        combos = itertools.cycle(itertools.product(example_photos(), COLORMAPS, OPACITIES))
        lock = threading.Lock()
        done, failures, samples = 0, [], []
        start = time.monotonic()
        samples.append(measure(process, temp, 0, start))

        def one_request(client: Client) -> None:
            nonlocal done
            with lock:
                photo, colormap, opacity = next(combos)
            try:
                predictions, gallery, _, files, _ = client.predict(
                    handle_file(photo), colormap=colormap, opacity=opacity, api_name="/explain"
                )
                if not predictions.get("label") or not gallery or not files:
                    raise RuntimeError("empty result")
                for path in files:  # downloaded into the soak's own folder; drop them as we go
                    Path(path).unlink(missing_ok=True)
            except Exception as exc:  # counted and reported; a soak must not stop at the first
                failures.append(repr(exc)[:300])
            with lock:
                done += 1
                if done % args.sample_every == 0:
                    samples.append(measure(process, temp, done, start))
                    last = samples[-1]
                    print(
                        f"{last.requests:5d} req {last.seconds:7.1f} s  rss {last.rss_mb:7.1f} MB  "
                        f"fds {last.open_files:4d}  threads {last.threads:3d}  temp {last.temp_mb:7.1f} MB",
                        flush=True,
                    )

        def worker(index: int) -> None:
            for _ in range(index, args.requests, args.clients):
                one_request(clients[index])

        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(worker, range(args.clients)))
        elapsed = time.monotonic() - start
    finally:
        stop(server)
        shutil.rmtree(temp, ignore_errors=True)

    problems = verdict(samples)
    if failures:
        problems.append(f"{len(failures)} failed requests, e.g. {failures[0]}")
    summary = {
        "requests": args.requests,
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests_per_s": round(args.requests / elapsed, 2),
        "failures": len(failures),
        "first": asdict(samples[1] if len(samples) > 1 else samples[0]),
        "last": asdict(samples[-1]),
        "peaks": {field: growth(samples, field) for field in LIMITS},
        "problems": problems,
    }
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({**summary, "samples": [asdict(s) for s in samples]}, indent=2) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
