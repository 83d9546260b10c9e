"""Batch: `python -m cnnattn explain` on a folder vs the bare backbone with the same loader, and
the CLI's peak memory as the folder grows (it streams JSON lines, so memory should stay flat)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import torch
from torch.utils.data import DataLoader

from bench.timing import synchronizer
from cnnattn.cli import PhotoDataset, _records, build_parser
from cnnattn.explain import Explainer
from cnnattn.image.discovery import find_images

ROOT = Path(__file__).resolve().parent.parent
POLL_S = 0.05


def _floor(explainer: Explainer, files: list[Path], workers: int) -> int:
    """The bare backbone over the CLI's own dataset and loader settings (as in `cnnattn.cli._records`)."""
    loader = DataLoader(
        PhotoDataset(files, explainer.preprocessing),
        batch_size=None,
        num_workers=workers,
        prefetch_factor=4 if workers else None,
    )
    net, done = explainer.backbone.model, 0
    with torch.inference_mode():
        for _, inputs, _, error in loader:
            if error is None:
                net(inputs.unsqueeze(0).to(explainer.device))
                done += 1
    return done


def _cnnattn(explainer: Explainer, files: list[Path], workers: int, out: Path) -> int:
    """The CLI's own record stream (`cnnattn.cli._records`), written as JSON lines."""
    args = build_parser().parse_args(["explain", "unused", "--workers", str(workers)])
    done = 0
    with open(out, "w", encoding="utf-8") as sink:
        for _, record in _records(explainer, files, args):
            if not isinstance(record, str):
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                done += 1
    return done


def throughput(explainer: Explainer, files: list[Path], workers: int, rounds: int) -> list[dict]:
    """Images/s for both, alternating rounds in this process; median of rounds."""
    sync = synchronizer(explainer.device)
    out = Path(tempfile.mkdtemp(prefix="cnnattn-bench-batch-")) / "r.jsonl"
    loops = {
        "backbone forward, same loader (floor)": lambda: _floor(explainer, files, workers),
        "cnnattn explain (CLI record stream)": lambda: _cnnattn(explainer, files, workers, out),
    }
    runs: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(rounds):
        for name, work in loops.items():
            start = time.perf_counter()
            done = work()
            sync()
            runs[name].append(done / (time.perf_counter() - start))
    rows = []
    for name, rates in runs.items():
        rate = sorted(rates)[len(rates) // 2]
        rows.append({"what": name, "images": len(files), "images_per_s": rate, "rounds": rates})
    for row in rows:
        row["x_floor_time"] = rows[0]["images_per_s"] / row["images_per_s"]
    return rows


def cli_memory(files: list[Path], device: str, workers: int, env: dict) -> dict:
    """Run the real CLI on a folder of `len(files)` images; sample RSS of it and its workers."""
    scratch = Path(tempfile.mkdtemp(prefix="cnnattn-bench-cli-"))
    folder = scratch / "photos"
    folder.mkdir()
    for file in files:
        (folder / file.name).symlink_to(file.resolve())
    out = scratch / "r.jsonl"
    command = [sys.executable, "-m", "cnnattn", "explain", str(folder), "--out", str(out), "--device", device]
    command += ["--workers", str(workers)]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watched = psutil.Process(process.pid)
    timeline = []  # (seconds, main RSS MB, main + workers RSS MB, output MB)
    while process.poll() is None:
        try:
            main = watched.memory_info().rss
            tree = main + sum(child.memory_info().rss for child in watched.children(recursive=True))
        except psutil.Error:
            break
        size = out.stat().st_size if out.exists() else 0
        timeline.append((time.perf_counter() - start, main / 2**20, tree / 2**20, size / 2**20))
        time.sleep(POLL_S)
    stderr = process.communicate(timeout=600)[1].decode(errors="replace")
    wall = time.perf_counter() - start
    records = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
    lines = len(records)
    shapes = {tuple(json.loads(line)["maps"][0]["shape"]) for line in records}  # grid shape <-> input shape
    return {
        "images": len(files),
        "records": lines,
        "returncode": process.returncode,
        "wall_s": wall,
        "peak_main_mb": max((t[1] for t in timeline), default=float("nan")),
        "peak_tree_mb": max((t[2] for t in timeline), default=float("nan")),
        "output_mb": out.stat().st_size / 2**20 if out.exists() else 0.0,
        "shapes": len(shapes),
        "timeline": timeline,
        "stderr_tail": stderr.strip().splitlines()[-1:] if stderr.strip() else [],
        "command": " ".join(command[:4]) + " FOLDER " + " ".join(command[5:]),
    }


@dataclass(frozen=True)
class BatchPlan:
    """How much the batch benchmark measures."""

    counts: list[int]  # folder sizes the CLI's peak memory is measured at
    throughput_images: int  # photos of the throughput rows
    rounds: int  # throughput rounds
    workers: int  # the CLI's decoding workers
    env_threads: int | None = None  # OMP_NUM_THREADS of the CLI runs (None: the CLI's own choice)


def run(explainer: Explainer, folder: Path, device: str, plan: BatchPlan) -> dict:
    files = find_images([str(folder)])
    if len(files) < max(plan.counts + [plan.throughput_images]):
        raise ValueError(f"{folder} holds {len(files)} images; the batch benchmark needs {max(plan.counts)}.")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if plan.env_threads:
        env["OMP_NUM_THREADS"] = str(plan.env_threads)
    rows = throughput(explainer, files[: plan.throughput_images], plan.workers, plan.rounds)
    memory = [cli_memory(files[:count], device, plan.workers, env) for count in plan.counts]
    return {"throughput": rows, "memory": memory, "workers": plan.workers}
