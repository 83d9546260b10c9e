"""How long a user waits before cnnattn answers: `cnnattn --help` (and a subcommand's help) until it exits,
and `python app.py` until it prints its address. Each command runs in a fresh process (cold imports, as a
user starts it), alternating the commands round by round on this shared machine.

    python -m bench.startup --rounds 5 --out docs/benchmarks/startup.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY = "Running on local URL"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def time_help(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cnnattn", *args], check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def time_app_start(timeout_s: float = 180.0) -> float:
    """Seconds from `python app.py` to its address on stdout; the server is stopped by its own PID."""
    command = [sys.executable, "-u", "app.py", "--port", str(free_port())]
    start = time.perf_counter()
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in server.stdout:
            if READY in line:
                return time.perf_counter() - start
            if time.perf_counter() - start > timeout_s:
                break
        raise RuntimeError(f"app.py did not print {READY!r} within {timeout_s} s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "startup.json")
    args = parser.parse_args(argv)
    commands = {
        "cnnattn --help": lambda: time_help(["--help"]),
        "cnnattn explain --help": lambda: time_help(["explain", "--help"]),
        "python app.py (to its address)": time_app_start,
    }
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, measure in commands.items():
            seconds[name].append(round(measure(), 3))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    result = {
        "command": f"python -m bench.startup --rounds {args.rounds}",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit.stdout.strip(),
        "load_average": os.getloadavg(),
        "median_s": {name: statistics.median(values) for name, values in seconds.items()},
        "seconds": seconds,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["median_s"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
