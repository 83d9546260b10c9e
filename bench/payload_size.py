"""Size of the answer to each example photo, as JSON on the wire: Explore's payload (the photo at display
size, the top-5, every head's map inputs) and the Lesson's extra block (fixed texts, templates, values,
step 3 per temperature). Issue 10 aims at <= 300 KB for the payload at the default input scale.

    python -m bench.payload_size
"""

from __future__ import annotations

import json
from pathlib import Path


def main() -> list[dict]:
    from cnnattn import Explainer
    from cnnattn.lesson.block import lesson_block
    from cnnattn.lesson.settings import LessonSettings
    from cnnattn.pipeline import Pipeline
    from cnnattn.webapp.app import example_photos

    explainer = Explainer.load(device="cpu")
    pipeline = Pipeline(explainer)
    rows = []
    for path in example_photos():
        data = Path(path).read_bytes()
        payload = pipeline.payload(data)
        _, _, encoded = pipeline.encode(data)
        block = lesson_block(explainer.heads, encoded, LessonSettings(), None, explainer.calibration_temperature)
        grid = next(entry["grid"] for entry in payload["heads"])
        rows.append({"photo": Path(path).name, "grid": grid, "payload_kb": len(json.dumps(payload)) / 1000,
                     "lesson_block_kb": len(json.dumps(block)) / 1000})  # fmt: skip
    print("| photo | grid (h x w) | Explore payload | the Lesson's extra block |")
    print("|---|---|---|---|")
    for row in rows:
        h, w = row["grid"]
        print(f"| {row['photo']} | {h} x {w} | {row['payload_kb']:.0f} kB | {row['lesson_block_kb']:.0f} kB |")
    return rows


if __name__ == "__main__":
    main()
