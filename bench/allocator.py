"""What glibc's allocator settings cost a new photo: the payload of distinct photos (one backbone pass
each, 1 thread) in fresh processes with glibc's defaults, the web server's settings
(cnnattn/webapp/memory.py) and a low mmap threshold, alternating, so load drifts hit all of them.

    python -m bench.allocator --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# name: (mmap threshold MiB, trim threshold MiB), None for glibc's defaults
SETTINGS = {"glibc defaults": None, "server (memory.py)": "server", "mmap 1 MiB, trim 8 MiB": (1, 8)}
PHOTOS = 25  # per process; the first 3 warm up
CHILD = """
import io, json, statistics, sys, time
import torch
torch.set_num_threads(1)
from cnnattn.webapp import memory
setting = json.loads(sys.argv[1])
if setting == "server":
    memory.limit_allocator()
elif setting:
    memory.MMAP_THRESHOLD, memory.TRIM_THRESHOLD = setting[0] << 20, setting[1] << 20
    memory.limit_allocator()
from gradio.media import get_image
from PIL import Image
from cnnattn import Explainer
from cnnattn.pipeline import Pipeline
explainer = Explainer.load(device="cpu")
source = Image.open(get_image("cheetah.jpg")).convert("RGB")
seconds = []
for i in range(int(sys.argv[2])):
    buffer = io.BytesIO()
    source.crop((i, i, source.width - i, source.height - i)).save(buffer, "JPEG")  # a new photo each time
    start = time.perf_counter()
    Pipeline(explainer).payload(buffer.getvalue())
    seconds.append(time.perf_counter() - start)
print(json.dumps(statistics.median(seconds[3:])))
"""


def measure(setting, photos: int) -> float:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-c", CHILD, json.dumps(setting), str(photos)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="processes per setting")
    parser.add_argument("--photos", type=int, default=PHOTOS)
    args = parser.parse_args(argv)
    medians: dict[str, list[float]] = {name: [] for name in SETTINGS}
    for _ in range(args.rounds):
        for name, setting in SETTINGS.items():
            medians[name].append(measure(setting, args.photos))
    baseline = statistics.median(medians["glibc defaults"])
    report = {
        name: {"median_s": statistics.median(v), "ratio_to_defaults": statistics.median(v) / baseline, "runs": v}
        for name, v in medians.items()
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
