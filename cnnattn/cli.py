"""Command line `cnnattn` (or `python -m cnnattn`): batch export, the web app, training and evaluating heads."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from cnnattn.backbones.specs import BACKBONES, DEFAULT_BACKBONE, FINAL, BackboneUnavailable
from cnnattn.i18n import languages
from cnnattn.training.options import add_evaluate_arguments, add_train_arguments
from cnnattn.webapp.options import add_ray_arguments, add_serve_arguments  # gradio-free, shared with app.py

# torch, timm and the heads are imported by the commands that run the model, never at module level:
# every `--help` but explain's answers without loading them (tests/test_cli_startup.py).
if TYPE_CHECKING:
    import torch

    from cnnattn.explain import Explainer
    from cnnattn.image.preprocess import Preprocessing


class PhotoDataset:
    """Decode and preprocess in DataLoader workers; a bad file yields its error, not an exception.

    A map-style dataset by protocol (`__len__`, `__getitem__`): DataLoader needs no torch base class."""

    def __init__(self, files: list[Path], preprocessing: Preprocessing):
        self.files = files
        self.preprocessing = preprocessing

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[Path, torch.Tensor | None, tuple[int, int] | None, str | None]:
        from cnnattn.image.loading import ImageRejected, load_image, photo_size

        path = self.files[index]
        try:
            image = load_image(path)
        except ImageRejected as exc:
            return path, None, None, str(exc)
        return path, self.preprocessing(image), photo_size(image), None


def _parse_query(text: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--query takes X,Y fractions such as 0.5,0.25, not {text!r}") from exc
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise argparse.ArgumentTypeError(f"--query {text}: X and Y must be in [0, 1]")
    return x, y


def _parse_temperature(text: str) -> tuple[str, float]:
    from cnnattn.heads import HEAD_KINDS  # parsed only for `cnnattn explain`, which loads the heads anyway

    kind, _, value = text.partition("=")
    try:
        temperature = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--temperature takes KIND=T such as class=2, not {text!r}") from exc
    if kind not in HEAD_KINDS or not temperature > 0:
        raise argparse.ArgumentTypeError(f"--temperature {text}: KIND is one of {', '.join(HEAD_KINDS)}, T > 0")
    return kind, temperature


# Subcommands whose module (and its dependencies) is imported only when that subcommand runs; their
# options are declared without torch (cnnattn.training.options), so every `--help` answers at once.
TRAINING_COMMANDS = {
    "train": (
        "cnnattn.training.train",
        add_train_arguments,
        "train attention heads on a labelled image folder",
        "Train the registered trainable head kinds on the frozen backbone against the labels of an image folder; "
        "writes checkpoints with their JSON cards.",
    ),
    "evaluate": (
        "cnnattn.training.evaluate",
        add_evaluate_arguments,
        "measure the trained heads on a labelled image folder",
        "Measure the trained heads on held-out images (top-1, map entropy, insertion/deletion, COCO object share) "
        "and write a report.",
    ),
}


def kind_temperatures(command: str | None) -> str:
    """`--temperature`'s default per registered head kind, for `cnnattn explain` only: listing them
    imports the heads (torch), which `cnnattn --help` and the other subcommands never need."""
    if command != "explain":
        return "see `cnnattn explain --help`"
    from cnnattn.heads import registered_kinds

    return ", ".join(f"{k.kind}={k.default_temperature:g}" for k in registered_kinds())


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The CLI's parser; `command` names the subcommand about to run (`explain` lists the head kinds)."""
    parser = argparse.ArgumentParser(prog="cnnattn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    explain = commands.add_parser(
        "explain",
        help="write predictions and attention maps as JSON lines",
        description="Explain image files or folders: one JSON object per image with the calibrated top-5 and every "
        "registered head's softmax weights. Unusable files are named and skipped (exit status 1).",
    )
    explain.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
    explain.add_argument("--out", type=Path, help="output .jsonl file (default: standard output)")
    explain.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    explain.add_argument("--backbone", default=DEFAULT_BACKBONE, choices=sorted(BACKBONES))
    explain.add_argument("--weights", type=Path, help="local backbone weights file for offline use")
    explain.add_argument("--checkpoints", type=Path, help="folder of trained head checkpoints")
    explain.add_argument(
        "--query", type=_parse_query, action="append", help="query X,Y of query-row heads (repeatable; default 0.5,0.5)"
    )
    explain.add_argument("--class-index", type=int, help="class for class-conditional maps (default: top-1)")
    explain.add_argument(
        "--temperature",
        type=_parse_temperature,
        action="append",
        metavar="KIND=T",
        help="softmax temperature of one head kind, e.g. class=2 or simple=0.5 (repeatable; default: each "
        f"kind's own, {kind_temperatures(command)})",
    )
    explain.add_argument("--layer", default=FINAL, help="backbone layer for heads that can run on earlier stages")
    explain.add_argument("--short-side", type=int, help="input short side in pixels (default: the calibrated scale)")
    explain.add_argument(
        "--calibration",
        choices=("auto", "none"),
        default="auto",
        help="auto: probabilities calibrated for the input scale when a calibration ships; none: plain softmax",
    )
    explain.add_argument("--lang", choices=languages(), default="en", help="language of class labels")
    explain.add_argument("--workers", type=int, default=2, help="DataLoader workers that decode images")
    explain.add_argument("--threads", type=int, help="torch CPU threads (default: cores the workers leave free)")
    add_ray_arguments(explain, "batch actors")
    for name, (_, add_arguments, help_text, description) in TRAINING_COMMANDS.items():
        add_arguments(commands.add_parser(name, help=help_text, description=description))
    serve = commands.add_parser(
        "serve",
        help="run the web app (the same as `python app.py`)",
        description="Serve the cnnattn web app (Gradio) with public-server settings; open http://HOST:PORT.",
    )
    add_serve_arguments(serve)
    return parser


def check_ray_arguments(args: argparse.Namespace) -> None:
    """Before anything loads: Ray options without --ray, or an address where no cluster answers."""
    if not args.ray and (args.replicas or args.address):
        raise ValueError("--replicas and --address need --ray.")
    if args.ray and args.address:
        from cnnattn.distributed.cluster import check_reachable  # imports no ray

        check_reachable(args.address)


def run_serve(args: argparse.Namespace) -> int:
    check_ray_arguments(args)
    from cnnattn.webapp import run_files

    run_files.use_for_gradio()  # before gradio is imported: a run's files live in one folder
    if args.ray:
        from cnnattn.distributed.serve import run  # imports ray: only with --ray

        return run(args)
    from cnnattn.webapp import app  # imports gradio: only here, never for `import cnnattn` or `cnnattn explain`

    return app.run(args)


def _records(explainer: Explainer, files: list[Path], args: argparse.Namespace) -> Iterator[tuple[Path, dict | str]]:
    from torch.utils.data import DataLoader
    from tqdm import tqdm

    dataset = PhotoDataset(files, explainer.preprocessing)
    workers = args.workers if len(files) > 1 else 0
    loader = DataLoader(dataset, batch_size=None, num_workers=workers, prefetch_factor=4 if workers else None)
    options = explain_options(args)
    progress = tqdm(loader, total=len(files), unit="img", disable=len(files) < 2, file=sys.stderr)
    for path, inputs, size, error in progress:
        if error is not None:
            yield path, error
            continue
        explanation = explainer.explain_encoded(explainer.encode_inputs(inputs, size), **options)
        yield path, explanation.to_json(str(path))


def explain_options(args: argparse.Namespace) -> dict:
    """`Explainer.explain_encoded` options from the command line."""
    from cnnattn.explain import MapRequest
    from cnnattn.maps import CENTRE

    request = MapRequest(
        queries=args.query or [CENTRE],
        class_index=args.class_index,
        temperatures=dict(args.temperature or []),
        layer=args.layer,
    )
    return dict(request=request, language=args.lang)


def model_threads(workers: int) -> int:
    """Torch threads for the model: the cores the decoding workers leave free, at least one.

    On oversubscribed cores every small op waits for a descheduled thread; on a busy 2-core
    machine 2 threads ran the CLI ~8x slower than 1 (docs/BENCHMARKS.md).
    """
    import torch

    if "OMP_NUM_THREADS" in os.environ:
        return torch.get_num_threads()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(torch.get_num_threads(), cores - workers))


def run_explain(args: argparse.Namespace) -> int:
    import torch

    from cnnattn.explain import Explainer
    from cnnattn.image.discovery import find_images

    check_ray_arguments(args)
    files = find_images(args.paths)
    if not files:
        print("No images found in the given paths.", file=sys.stderr)
        return 1
    torch.set_num_threads(args.threads or model_threads(args.workers))
    load_options = dict(backbone=args.backbone, device=args.device, weights=args.weights)
    load_options.update(short_side=args.short_side, calibrate=args.calibration == "auto")
    if args.checkpoints:
        load_options["checkpoint_dir"] = args.checkpoints
    explainer = Explainer.load(**load_options)
    for note in explainer.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.ray:
        from cnnattn.distributed.batch import ActorSettings, ray_records  # imports ray: only with --ray
        from cnnattn.distributed.cluster import RayCluster

        actors = ActorSettings.for_replicas(args.replicas)
        records = ray_records(files, load_options, explain_options(args), RayCluster(args.address), actors)
    else:
        records = _records(explainer, files, args)
    skipped = 0
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(args.out, "w", encoding="utf-8")) if args.out else sys.stdout
        stack.enter_context(contextlib.closing(records))  # an interrupted --ray run still stops its cluster
        for path, record in records:
            if isinstance(record, str):
                skipped += 1
                print(f"skipped {path}: {record}", file=sys.stderr)
                continue
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"explained {len(files) - skipped} of {len(files)} images; skipped {skipped}", file=sys.stderr)
    return 1 if skipped else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((word for word in argv if not word.startswith("-")), None)
    args = build_parser(command).parse_args(argv)
    try:
        if args.command in TRAINING_COMMANDS:
            return importlib.import_module(TRAINING_COMMANDS[args.command][0]).run(args)
        return {"explain": run_explain, "serve": run_serve}[args.command](args)
    except (BackboneUnavailable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
