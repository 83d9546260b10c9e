"""How long a user waits before cnnattn answers: `cnnattn --help` (and a subcommand's help) until it exits,
and `python app.py` until it prints its address. Each command runs in a fresh process (cold imports, as a
user starts it), alternating the commands round by round on this shared machine. With `--baseline DIR` (a
checkout of another commit) each round runs the same commands there too, side by side.

    git worktree add /tmp/cnnattn-e38ecb9 e38ecb9
    python -m bench.startup --rounds 7 --baseline /tmp/cnnattn-e38ecb9 --out docs/benchmarks/startup.json
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


def time_help(args: list[str], checkout: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cnnattn", *args], check=True, capture_output=True, cwd=checkout)
    return time.perf_counter() - start


def time_app_start(checkout: Path = ROOT, timeout_s: float = 180.0) -> float:
    """Seconds from `python app.py` to its address on stdout; the server is stopped by its own PID."""
    command = [sys.executable, "-u", "app.py", "--port", str(free_port())]
    start = time.perf_counter()
    server = subprocess.Popen(command, cwd=checkout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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


def commit_of(checkout: Path) -> str:
    """The checkout's short commit, "+changes" when its tracked files differ from it."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=checkout)
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=checkout).returncode != 0
    return commit.stdout.strip() + ("+changes" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="a checkout of another commit, measured in the same rounds")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "startup.json")
    args = parser.parse_args(argv)
    checkouts = {"current": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    commands = {
        "cnnattn --help": lambda checkout: time_help(["--help"], checkout),
        "cnnattn explain --help": lambda checkout: time_help(["explain", "--help"], checkout),
        "python app.py (to its address)": time_app_start,
    }
    seconds = {side: {name: [] for name in commands} for side in checkouts}
    for _ in range(args.rounds):
        for name, measure in commands.items():
            for side, checkout in checkouts.items():
                seconds[side][name].append(round(measure(checkout), 3))
    result = {
        "command": " ".join(["python -m bench.startup", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": os.getloadavg(),
    }
    for side, checkout in checkouts.items():
        result[side] = {
            "commit": commit_of(checkout),
            "median_s": {name: statistics.median(values) for name, values in seconds[side].items()},
            "seconds": seconds[side],
        }
    if args.baseline:
        result["current / baseline (medians)"] = {
            name: round(result["current"]["median_s"][name] / result["baseline"]["median_s"][name], 3)
            for name in commands
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({side: result[side]["median_s"] for side in checkouts}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
