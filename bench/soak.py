"""Soak test: many requests to every public endpoint of `python app.py` on 127.0.0.1, watching for
anything that grows.

The endpoints come from the running app's API info, so a new one is soaked without editing this
file. Each request calls the next endpoint in turn: an upload parameter gets the next photo (the
example photos and one-pixel variants of one of them, more than the caches hold, so eviction is
exercised), a parameter with a default keeps it, and a required parameter with no default (such as
the lesson's photo key) gets what an earlier endpoint returned for the same component. The server's
resident memory (children included), open file descriptors, threads and temporary folders are
sampled every few requests.

Passes when no request fails, RSS at the end is <= 1.10x RSS after the first 200 requests, and open
files, threads and the files in gradio's cache do not keep rising (last third against the middle third);
all temporary files, the app's own output folder included, are reported beside them.

    python bench/soak.py --requests 2000            # the recorded run (docs/SOAK.md)
    python bench/soak.py --requests 200 --clients 2 # a quick check
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench.server import Served, distinct_photos, free_port, launch, stop  # noqa: E402
from bench.timing import percentile  # noqa: E402

UPLOADS = {"filepath"}  # python types of parameters that take a file
RSS_BASELINE_REQUESTS = 200  # RSS at the end is compared with RSS after this many requests
RSS_RATIO = 1.10


@dataclass(frozen=True)
class Sample:
    requests: int  # requests completed when sampled
    seconds: float  # since the first request
    rss_mb: float  # server resident memory, children included
    open_files: int  # server file descriptors (files, sockets, pipes)
    threads: int
    temp_files: int  # files in gradio's cache and upload folder plus the app's own temporary folders
    temp_mb: float  # their total size
    cache_files: int = 0  # of them, in gradio's cache and upload folder (GRADIO_TEMP_DIR)


def folder_usage(path: Path) -> tuple[int, float]:
    count, total = 0, 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
                count += 1
            except OSError:
                continue  # swept while walking
    return count, total / 2**20


def measure(server: psutil.Process, temp: Path, requests: int, start: float) -> Sample:
    processes = [server, *server.children(recursive=True)]
    files, megabytes = folder_usage(temp)
    cached, _ = folder_usage(temp / "gradio")
    return Sample(
        requests=requests,
        seconds=round(time.monotonic() - start, 1),
        rss_mb=round(sum(p.memory_info().rss for p in processes) / 2**20, 1),
        open_files=sum(p.num_fds() for p in processes),
        threads=sum(p.num_threads() for p in processes),
        temp_files=files,
        temp_mb=round(megabytes, 1),
        cache_files=cached,
    )


def start_server(temp: Path) -> Served:
    """`python app.py` with its own temporary folders, so their growth is the app's alone."""
    env = {**os.environ, "GRADIO_TEMP_DIR": str(temp / "gradio"), "TMPDIR": str(temp / "tmp")}
    env.setdefault("OMP_NUM_THREADS", "1")
    (temp / "tmp").mkdir(parents=True)
    port = free_port()
    command = [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)]
    return launch("cnnattn", command, port, "explain", env)


@dataclass(frozen=True)
class Endpoint:
    name: str  # "/explain"
    uploads: tuple[str, ...]  # parameters that take a photo
    chained: dict  # required parameter -> the return label that feeds it ("value_<component id>")
    returns: tuple[str, ...]  # return labels, in order


def component_label(label: str) -> str:
    """Gradio labels unlabelled components `parameter_<id>` as inputs and `value_<id>` as outputs."""
    return re.sub(r"^parameter_(\d+)$", r"value_\1", label)


def public_endpoints(client) -> list[Endpoint]:
    """Every named endpoint of the app, producers first (those whose inputs need no earlier answer)."""
    info = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    endpoints = []
    for name, spec in info.items():
        uploads = tuple(p["parameter_name"] for p in spec["parameters"] if p["python_type"]["type"] in UPLOADS)
        chained = {
            p["parameter_name"]: component_label(p["label"])
            for p in spec["parameters"]
            if not p["parameter_has_default"] and p["parameter_name"] not in uploads
        }
        endpoints.append(Endpoint(name, uploads, chained, tuple(r["label"] for r in spec["returns"])))
    return sorted(endpoints, key=lambda e: (bool(e.chained), e.name))


def verdict(samples: list[Sample]) -> list[str]:
    problems = []
    baseline = next((s for s in samples if s.requests >= RSS_BASELINE_REQUESTS), samples[-1])
    if samples[-1].rss_mb > RSS_RATIO * baseline.rss_mb:
        problems.append(f"RSS {samples[-1].rss_mb} MB at the end > {RSS_RATIO}x {baseline.rss_mb} MB after "
                        f"{baseline.requests} requests")  # fmt: skip
    third = max(len(samples) // 3, 1)
    # Gradio's cache must stop growing; the app's own output folder is swept to 60 s at every download, so
    # its count follows the recent request rate, not the run's length (temp_files, reported, includes it).
    for field, slack in {"open_files": 8, "threads": 4, "cache_files": 20}.items():
        middle = max(getattr(s, field) for s in samples[third : 2 * third] or samples)
        last = max(getattr(s, field) for s in samples[2 * third :] or samples)
        if last > middle + slack:
            problems.append(f"{field} kept growing: peak {middle} in the middle third, {last} in the last")
    return problems


def downloaded_paths(value) -> list[Path]:
    if isinstance(value, str):
        return [Path(value)] if os.path.isabs(value) and os.path.isfile(value) else []
    if isinstance(value, dict):
        return [p for v in value.values() for p in downloaded_paths(v)]
    if isinstance(value, list | tuple):
        return [p for v in value for p in downloaded_paths(v)]
    return []


class Visitor:
    """One gradio_client session calling the endpoints in turn, keeping what they returned."""

    def __init__(self, url: str, downloads: Path, endpoints: list[Endpoint]):
        from gradio_client import Client

        self.client = Client(url, verbose=False, download_files=str(downloads))
        self.downloads = downloads
        self.endpoints = endpoints
        self.returned: dict[str, object] = {}
        self.turns = itertools.cycle(endpoints)  # its own turn, so a producer comes before what it feeds

    def call(self, endpoint: Endpoint, photo: Path):
        from gradio_client import handle_file

        arguments = {name: handle_file(str(photo)) for name in endpoint.uploads}
        for name, label in endpoint.chained.items():
            if label not in self.returned:
                raise RuntimeError(f"no earlier endpoint returned {label} for {endpoint.name}'s {name}")
            arguments[name] = self.returned[label]
        result = self.client.predict(**arguments, api_name=endpoint.name)
        values = result if len(endpoint.returns) > 1 else (result,)
        if not any(v not in (None, "", [], {}) for v in values):
            raise RuntimeError(f"{endpoint.name} returned nothing")
        self.returned |= {label: v for label, v in zip(endpoint.returns, values, strict=False)}
        for path in downloaded_paths(values):  # downloaded into the soak's own folder; drop them as we go
            if self.downloads in path.parents:
                path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4, help="concurrent gradio_client sessions")
    parser.add_argument("--variants", type=int, default=40, help="one-pixel variants of a photo (cache eviction)")
    parser.add_argument("--sample-every", type=int, default=50, help="requests between samples")
    parser.add_argument("--out", type=Path, help="write samples and verdict as JSON here")
    args = parser.parse_args(argv)

    from cnnattn.webapp.app import example_photos

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped early: still stop the server, clean up
    temp = Path(tempfile.mkdtemp(prefix="cnnattn-soak-"))
    scratch = Path(tempfile.mkdtemp(prefix="cnnattn-soak-client-"))  # photos and downloads, not measured
    try:
        server = start_server(temp)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    process = psutil.Process(server.process.pid)
    photos = [Path(p) for p in example_photos()]
    photos += distinct_photos(photos[0], args.variants, scratch)
    latencies: dict[str, list[float]] = defaultdict(list)
    failures: Counter = Counter()
    examples: dict[str, str] = {}
    try:
        (scratch / "downloads").mkdir()
        probe = Visitor(server.url, scratch / "downloads", [])
        endpoints = public_endpoints(probe.client)
        print("endpoints:", ", ".join(e.name for e in endpoints), flush=True)
        visitors = [Visitor(server.url, scratch / "downloads", endpoints) for _ in range(args.clients)]
        photo_turns = itertools.cycle(photos)
        lock = threading.Lock()
        done, samples = 0, []
        start = time.monotonic()
        samples.append(measure(process, temp, 0, start))

        def one_request(visitor: Visitor) -> None:
            nonlocal done
            with lock:
                photo, endpoint = next(photo_turns), next(visitor.turns)
            began = time.perf_counter()
            try:
                visitor.call(endpoint, photo)
                latencies[endpoint.name].append(time.perf_counter() - began)
            except Exception as exc:  # counted and reported; a soak must not stop at the first
                failures[endpoint.name] += 1
                examples.setdefault(endpoint.name, repr(exc)[:300])
            with lock:
                done += 1
                if done % args.sample_every == 0:
                    samples.append(last := measure(process, temp, done, start))
                    print(
                        f"{last.requests:5d} req {last.seconds:7.1f} s  rss {last.rss_mb:7.1f} MB  "
                        f"fds {last.open_files:4d}  threads {last.threads:3d}  "
                        f"temp {last.temp_files:5d} files {last.temp_mb:7.1f} MB (gradio {last.cache_files})",
                        flush=True,
                    )

        def worker(index: int) -> None:
            for _ in range(index, args.requests, args.clients):
                one_request(visitors[index])

        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(worker, range(args.clients)))
        elapsed = time.monotonic() - start
    finally:
        stop(server)
        shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)

    problems = verdict(samples)
    if failures:
        problems.append(f"{sum(failures.values())} failed requests: {dict(failures)}, e.g. {examples}")
    baseline = next((s for s in samples if s.requests >= RSS_BASELINE_REQUESTS), samples[-1])
    summary = {
        "requests": args.requests,
        "clients": args.clients,
        "photos": len(photos),
        "seconds": round(elapsed, 1),
        "requests_per_s": round(args.requests / elapsed, 2),
        "endpoints": {
            e.name: {
                "answered": len(latencies[e.name]),
                "failed": failures[e.name],
                "p50_s": round(percentile(latencies[e.name], 50), 3) if latencies[e.name] else None,
            }
            for e in endpoints
        },  # fmt: skip
        "rss_after_200_mb": baseline.rss_mb,
        "rss_ratio_end_to_200": round(samples[-1].rss_mb / baseline.rss_mb, 3),
        "first": asdict(samples[0]),
        "last": asdict(samples[-1]),
        "problems": problems,
    }
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({**summary, "samples": [asdict(s) for s in samples]}, indent=2) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
