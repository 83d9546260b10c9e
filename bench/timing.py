"""Timing helpers and the facts a benchmark report needs: machine, versions, load."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

import torch


@dataclass(frozen=True)
class Samples:
    name: str  # what was timed
    seconds: tuple[float, ...]  # one entry per timed repeat, warm-up excluded

    @property
    def median_ms(self) -> float:
        return 1000 * statistics.median(self.seconds)

    @property
    def p95_ms(self) -> float:
        return 1000 * percentile(self.seconds, 95)

    @property
    def iqr_ms(self) -> tuple[float, float]:
        return 1000 * percentile(self.seconds, 25), 1000 * percentile(self.seconds, 75)


def percentile(values, q: float) -> float:
    """Linear-interpolated percentile (numpy's default) without needing an array."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def synchronizer(device: torch.device) -> Callable[[], None]:
    """Wait for queued GPU work before reading the clock; a no-op on CPU."""
    return torch.cuda.synchronize if device.type == "cuda" else (lambda: None)


def interleaved(
    methods: dict[str, Callable[[], object]], repeats: int, warmup: int, sync: Callable[[], None]
) -> dict[str, Samples]:
    """Time each method `repeats` times after `warmup` calls, round-robin: one call of each per round."""
    for _ in range(warmup):
        for method in methods.values():
            method()
            sync()
    seconds: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(repeats):
        for name, method in methods.items():
            sync()
            start = time.perf_counter()
            method()
            sync()
            seconds[name].append(time.perf_counter() - start)
    return {name: Samples(name, tuple(values)) for name, values in seconds.items()}


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(device: torch.device) -> dict:
    facts = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "device": str(device),
    }
    if device.type == "cuda":
        facts["gpu"] = torch.cuda.get_device_name(device)
    return facts


PACKAGES = ("torch", "timm", "gradio", "gradio_client", "grad-cam", "torchcam", "pillow", "numpy", "matplotlib")


def versions() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "absent"
    return found
