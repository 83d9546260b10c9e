"""cnnattn on Ray against cnnattn in one process, on this machine: `python -m bench.ray_bench`.

- Through the server: `cnnattn serve` (default threads and 1 thread) vs `serve --ray --replicas 1` vs `2`, one at a time
  (2 cores), each cold: one client with new photos, then bursts of 10 and 30 clients with the same
  photo and with different photos (P50, P95, throughput, failures).
- Ray's overhead per request: the same photos encoded by the in-process Pipeline and by a
  RayPipeline on one replica, plus a no-op call, in this process.
- Batch: `cnnattn explain` vs `explain --ray --replicas 1` vs `--replicas 2` on 200 and 1000 photos.

Writes docs/benchmarks/ray.json and the Ray section of docs/BENCHMARKS.md (between its markers).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import server
from bench.timing import percentile

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "data" / "imagenet-samples"
RESULTS = ROOT / "docs" / "benchmarks" / "ray.json"
REPORT = ROOT / "docs" / "BENCHMARKS.md"
BEGIN, END = "<!-- ray_bench:begin -->", "<!-- ray_bench:end -->"
RUNS = {
    "in-process": [],
    "--ray --replicas 1": ["--ray", "--replicas", "1"],
    "--ray --replicas 2": ["--ray", "--replicas", "2"],
}
# Servers: the in-process app also with one torch thread, as each replica runs (it takes torch's default).
SERVERS = {"in-process, 1 thread": ([], {"OMP_NUM_THREADS": "1"})} | {name: (flags, {}) for name, flags in RUNS.items()}
STOP_TIMEOUT_S = 90
PARTS = ["overhead", "server", "batch"]


def photos(count: int, skip: int = 0) -> list[Path]:
    found = sorted(SAMPLES.glob("*.JPEG"))
    if len(found) < skip + count:
        raise SystemExit(f"need {skip + count} photos in {SAMPLES} (../shared), found {len(found)}")
    return found[skip : skip + count]


def short_dir(scratch: Path, name: str) -> str:
    """A folder for Ray's files: its socket paths must stay under 107 bytes, so not under `scratch`."""
    path = Path(tempfile.gettempdir()) / f"{scratch.name[-8:]}{name}"
    path.mkdir(exist_ok=True)
    return str(path)


def stop(served: server.Served) -> float:
    """SIGTERM and wait; returns the seconds the server took to stop (Ray's processes included)."""
    start = time.monotonic()
    served.process.terminate()
    try:
        served.process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait(timeout=20)
    return time.monotonic() - start


def through_the_server(
    bursts: list[int], singles: int, scratch: Path, names: list[str], device: str = "cpu"
) -> list[dict]:
    """Every configuration cold, one after the other, with the same photos in the same scenarios."""
    same = photos(1)[0]
    sequential_photos = photos(singles, skip=1)
    burst_photos, offset = {}, 1 + singles
    for size in bursts:
        burst_photos[size] = photos(size, skip=offset)  # photos no earlier scenario sent: nothing cached
        offset += size
    rows = []
    for name in names:
        flags, extra_env = SERVERS[name]
        port = server.free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT), GRADIO_ANALYTICS_ENABLED="False", **extra_env)
        env["RAY_TMPDIR"] = short_dir(scratch, f"s{port}")
        command = [sys.executable, "-m", "cnnattn", "serve", "--port", str(port), "--device", device, *flags]
        started = time.monotonic()
        served = server.launch(name, command, port, "explain", env)
        start_s = time.monotonic() - started
        try:
            server.sequential(served, photos(2, skip=offset), None)  # warm-up: lazy imports, first batches
            scenarios = [(f"1 client, {singles} new photos", lambda s: server.sequential(s, sequential_photos, None))]
            for size in bursts:
                scenarios.append((f"burst of {size}, same photo", lambda s, n=size: server.burst(s, [same] * n, None)))
                scenarios.append(
                    (f"burst of {size}, different photos", lambda s, n=size: server.burst(s, burst_photos[n], None))
                )
            for scenario, measure in scenarios:
                rows.append({"server": name, "scenario": scenario, **measure(served)})
                print(f"{name:>20} | {scenario:<30} | {json.dumps(rows[-1], default=str)[:160]}", flush=True)
        finally:
            stop_s = stop(served)
        rows.append({"server": name, "scenario": "start and stop", "start_s": start_s, "stop_s": stop_s})
    return rows


def overhead(count: int, scratch: Path) -> dict:
    """Per request, photo by photo: the backbone in this process (one thread) and the same input
    through a handle to one replica (one thread), which reports the seconds it spent. Ray's
    overhead is the round trip minus the replica's own time: routing, the input tensor out, the
    encoding back (serialisation, object store) and the batch wait."""
    import torch

    from cnnattn import Explainer
    from cnnattn.distributed.cluster import LocalSettings, RayCluster
    from cnnattn.image.loading import load_image

    torch.set_num_threads(1)
    explainer = Explainer.load(device="cpu")
    loaded = [load_image(path) for path in photos(count + 1, skip=500)]
    inputs = [(explainer.preprocessing(photo), photo.size) for photo in loaded]
    rows = []
    with RayCluster(None, LocalSettings(num_cpus=2, object_store_mb=128, temp_dir=short_dir(scratch, "o"))):
        from cnnattn.distributed.deployment import ReplicaSettings, deploy

        handle = deploy({"device": "cpu"}, ReplicaSettings(replicas=1))
        handle.encode.remote(*inputs[-1]).result()  # warm-up, both sides
        explainer.encode_inputs(*inputs[-1])
        for tensor, size in inputs[:-1]:  # interleaved, so both see the same machine load
            start = time.perf_counter()
            explainer.encode_inputs(tensor, size)
            local = time.perf_counter() - start
            start = time.perf_counter()
            _, _, replica = handle.encode.remote(tensor, size).result()
            remote = time.perf_counter() - start
            start = time.perf_counter()
            handle.identity.remote().result()
            noop = time.perf_counter() - start
            rows.append((local, remote, replica, noop))
    local, remote, replica, noop = (statistics.median(r[i] for r in rows) for i in range(4))
    return {
        "photos": count,
        "input_bytes": int(inputs[0][0].numel() * 4),
        "encoding_bytes": len(pickle.dumps(explainer.encode_inputs(*inputs[0]))),
        "in_process_ms": 1000 * local,
        "round_trip_ms": 1000 * remote,
        "in_replica_ms": 1000 * replica,
        "overhead_ms": 1000 * statistics.median(r[1] - r[2] for r in rows),
        "overhead_p95_ms": 1000 * percentile([r[1] - r[2] for r in rows], 95),
        "noop_call_ms": 1000 * noop,
    }


def batch(sizes: list[int], scratch: Path) -> list[dict]:
    """Each run on 1 photo first: its wall time is the start-up, so the rate past start-up is
    (N - 1) / (wall(N) - wall(1))."""
    rows = []
    for size in [1, *sizes]:
        folder = scratch / f"photos-{size}"
        folder.mkdir()
        for path in photos(size):
            (folder / path.name).symlink_to(path)
        for name, flags in RUNS.items():
            out = scratch / f"out-{size}.jsonl"
            env = dict(os.environ, PYTHONPATH=str(ROOT), RAY_TMPDIR=short_dir(scratch, f"b{size}"))
            command = [sys.executable, "-m", "cnnattn", "explain", str(folder), "--out", str(out), *flags]
            start = time.monotonic()
            result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
            wall = time.monotonic() - start
            records = len(out.read_text().splitlines()) if out.exists() else 0
            rows.append(
                {
                    "run": name,
                    "images": size,
                    "records": records,
                    "wall_s": wall,
                    "images_per_s": records / wall,
                    "returncode": result.returncode,
                }
            )
            print(f"batch {size:>5} | {name:<20} | {wall:6.1f} s | {records / wall:5.2f} img/s", flush=True)
            if result.returncode != 0:
                print(result.stderr[-2000:], file=sys.stderr)
            out.unlink(missing_ok=True)
    return rows


def machine(device: str = "cpu") -> dict:
    import platform
    from importlib.metadata import version

    import torch

    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "ray": version("ray"),  # not imported here: RayCluster sets Ray's environment before its first import
        "device": device,
    }


def fmt(value, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def markdown(results: dict) -> str:
    lines = [BEGIN, "## Ray: the model on Serve replicas, the batch export on Ray Data", ""]
    m = results["machine"]
    loads = "; ".join(
        f"{key.removeprefix('machine').strip('_') or 'all parts'} {value['load_average_at_start'][0]:.1f}"
        for key, value in results.items()
        if key.startswith("machine")
    )
    lines += [
        f"`python -m bench.ray_bench` on {m['cores']} cores ({m['cpu']}), device {m['device']}, Ray {m['ray']}, torch "
        f"{m['torch']}. The machine is shared: 1-minute load average at the start of each run ({loads}; a "
        "later `--parts` run replaces those parts). Raw numbers: `docs/benchmarks/ray.json`. No GPU figures: "
        "no GPU machine was available to this run (docs/DEPLOYMENT.md projects them).",
        "",
        "### Through the server",
        "",
        "Each server cold and alone: `cnnattn serve --device cpu` (torch's default threads, and with "
        "`OMP_NUM_THREADS=1`, as each replica runs), then with `--ray --replicas 1` and `2`; "
        "`gradio_client` clients on 127.0.0.1 calling `/explain` (the payload; no files to fetch). A burst is "
        "N clients released by a barrier; `different photos` are distinct ImageNet samples (several input "
        "shapes, nothing cached); `same photo` is one photo N times (the front end's single-flight cache "
        "encodes it once).",
        "",
        "| scenario | server | requests | failed | P50 ms | P95 ms | throughput req/s |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [r for r in results["server"] if "requests" in r]
    for scenario in dict.fromkeys(r["scenario"] for r in rows):
        for r in (r for r in rows if r["scenario"] == scenario):
            lines.append(
                f"| {scenario} | {r['server']} | {r['requests']} | {r['failed']} | {fmt(r['p50_ms'])} | "
                f"{fmt(r['p95_ms'])} | {fmt(r['throughput_rps'], 2)} |"
            )
    lines += ["", "| server | start s | stop s (SIGTERM to exit, Ray included) |", "|---|---|---|"]
    for r in (r for r in results["server"] if r["scenario"] == "start and stop"):
        lines.append(f"| {r['server']} | {fmt(r['start_s'], 1)} | {fmt(r['stop_s'], 1)} |")
    o = results["overhead"]
    lines += [
        "",
        "### Ray's overhead per request",
        "",
        f"{o['photos']} photos, one at a time and interleaved: the backbone in the benchmark's process (one "
        "thread) and the same input tensor through a `DeploymentHandle` to one replica (one thread), which "
        "reports its own time. Overhead = round trip - time in the replica: routing, the input tensor out "
        f"({o['input_bytes'] / 2**20:.2f} MB for the first photo), the encoding back "
        f"({o['encoding_bytes'] / 2**20:.2f} MB: final features and the earlier stages the lesson uses) and "
        "the 10 ms batch wait.",
        "",
        "| backbone in process ms | round trip ms | in the replica ms | overhead ms (P50 / P95) | no-op call ms |",
        "|---|---|---|---|---|",
        f"| {fmt(o['in_process_ms'], 1)} | {fmt(o['round_trip_ms'], 1)} | {fmt(o['in_replica_ms'], 1)} | "
        f"{fmt(o['overhead_ms'], 1)} / {fmt(o['overhead_p95_ms'], 1)} | {fmt(o['noop_call_ms'], 1)} |",
        "",
        "### Batch: `cnnattn explain` on a folder",
        "",
        "The CLI as a subprocess, wall time from start to exit (imports, model load, Ray start-up and "
        "actors included); ImageNet samples at original sizes. The 1-image run of each shows its start-up.",
        "",
        "| images | run | records | wall s | images/s |",
        "|---|---|---|---|---|",
    ]
    for r in results["batch"]:
        lines.append(
            f"| {r['images']} | {r['run']} | {r['records']} | {fmt(r['wall_s'], 1)} | {fmt(r['images_per_s'], 2)} |"
        )
    lines += ["", *results.get("findings", []), END]
    return "\n".join(lines)


def write_report(results: dict) -> None:
    """Replace the Ray section of docs/BENCHMARKS.md (or append it); the rest of the file is untouched."""
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else "# Benchmarks\n"
    section = markdown(results)
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    REPORT.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ray_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--singles", type=int, default=10, help="requests of the single-client scenario")
    parser.add_argument("--batch", type=int, nargs="*", default=[200, 1000], help="folder sizes (none: skip)")
    parser.add_argument("--overhead-photos", type=int, default=20)
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=PARTS, help="others are kept from --out")
    parser.add_argument("--device", default="cpu", help="the servers' --device (auto: replicas on GPUs when there)")
    parser.add_argument("--servers", nargs="+", choices=list(SERVERS), default=list(SERVERS), help="others are kept")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (JSON)")
    parser.add_argument("--report-from", type=Path, help="only rewrite the report from a results file")
    args = parser.parse_args(argv)
    if args.report_from:
        write_report(json.loads(args.report_from.read_text()))
        return 0
    partial = set(args.parts) != set(PARTS) or set(args.servers) != set(SERVERS)
    results = json.loads(args.out.read_text()) if partial else {}
    scratch = Path(tempfile.mkdtemp(prefix="cnnattn-ray-bench-"))
    try:
        results["machine_" + "_".join(args.parts) if partial else "machine"] = machine(args.device)
        if "overhead" in args.parts:
            results["overhead"] = overhead(args.overhead_photos, scratch)
            print(json.dumps(results["overhead"]), flush=True)
        if "server" in args.parts:
            rows = through_the_server(args.bursts, args.singles, scratch, args.servers, args.device)
            kept = [r for r in results.get("server", []) if r["server"] not in args.servers]
            results["server"] = sorted(kept + rows, key=lambda r: list(SERVERS).index(r["server"]))
        if "batch" in args.parts:
            results["batch"] = batch(args.batch, scratch)
    finally:
        for path in Path(tempfile.gettempdir()).glob(f"{scratch.name[-8:]}*"):
            shutil.rmtree(path, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    write_report(results)
    print(f"wrote {args.out} and the Ray section of {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
