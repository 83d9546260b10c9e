"""`python app.py` with a chosen head-checkpoint folder: the app's own build_app and serve (public
settings, queue, per-session cap), used only while checkpoints/ lacks trained heads.

    python bench/serve_app.py --checkpoints DIR --port 7860
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from cnnattn.explain import Explainer  # noqa: E402
from cnnattn.webapp import app  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoints", type=Path, required=True)
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    explainer = Explainer.load(device=args.device, checkpoint_dir=args.checkpoints)
    app.serve(app.build_app(explainer), "127.0.0.1", args.port)


if __name__ == "__main__":
    main()
