"""The web app's command-line options, shared by `cnnattn serve` and `python app.py`.

Here rather than in `cnnattn.cli` so that neither front door imports the other (the CLI imports the web
app only inside its serve command), and free of gradio and torch so that every `--help` answers at once
(tests/test_cli_startup.py).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cnnattn.backbones.specs import BACKBONES, DEFAULT_BACKBONE


def add_serve_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The web app's options, for `cnnattn serve` and `python app.py`; `--help` never imports gradio."""
    # Hosts such as Hugging Face Spaces say where to listen through gradio's own variables.
    host, port = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    parser.add_argument("--host", default=host, help=f"address to listen on (default: {host})")
    parser.add_argument("--port", type=int, default=port, help=f"port to listen on (default: {port})")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default: CUDA when present)")
    parser.add_argument("--backbone", default=DEFAULT_BACKBONE, choices=sorted(BACKBONES), help="pretrained CNN")
    parser.add_argument("--weights", type=Path, help="local backbone weights file (offline use)")
    parser.add_argument("--checkpoints", type=Path, help="folder of trained head checkpoints (default: shipped heads)")
    parser.add_argument("--share", action="store_true", help="create a public gradio.live link")
    parser.add_argument("--root-path", help="URL prefix when served behind a reverse proxy, e.g. /cnnattn")
    add_ray_arguments(parser, "model replicas")
    return parser


def add_ray_arguments(parser: argparse.ArgumentParser, workers: str) -> None:
    """--ray, --replicas, --address (serve's model replicas, explain's batch actors); Ray is imported only
    when --ray is given (docs/DEPLOYMENT.md)."""
    group = parser.add_argument_group("Ray", "run the model on a Ray cluster (needs: pip install 'cnnattn[serve]')")
    group.add_argument("--ray", action="store_true", help="run the model on Ray (a local cluster unless --address)")
    group.add_argument("--replicas", help=f"{workers} on Ray: N, or MIN-MAX to autoscale (default: 1)")
    group.add_argument("--address", help="join the Ray cluster at HOST:PORT instead of starting a local one")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """`python app.py`'s options: the same as `cnnattn serve`."""
    parser = argparse.ArgumentParser(prog="python app.py", description="cnnattn web app (the same as `cnnattn serve`)")
    return add_serve_arguments(parser).parse_args(argv)
