"""Run every benchmark and write docs/BENCHMARKS.md: `python -m bench` (see --help)."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

import torch

from bench import report, subjects, timing
from cnnattn.explain import resolve_device

ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLES = ROOT.parent / "shared" / "data" / "imagenet-samples"
SECTIONS = ("per_image", "rerender", "batch", "server")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads; 0 keeps torch's default")
    parser.add_argument("--sizes", type=int, nargs="+", default=[224, 448], help="per-image input sides (px)")
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per method after warm-up")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--data", type=Path, default=SHARED_SAMPLES, help="folder of photos for the batch run")
    parser.add_argument("--batch-counts", type=int, nargs="+", default=[100, 1000], help="CLI runs (peak RSS)")
    parser.add_argument("--throughput-images", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of the throughput loops")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers, as the CLI's default")
    parser.add_argument("--singles", type=int, default=10, help="sequential requests of the 1-client scenarios")
    parser.add_argument("--bursts", type=int, nargs="+", default=[10, 30], help="clients per burst")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="tiny settings that only check everything runs")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--report-from", type=Path, help="rewrite the report from a saved results .json; no timing")
    return parser


def quick(args: argparse.Namespace) -> None:
    args.sizes, args.repeats, args.warmup = [64], 2, 1
    args.batch_counts, args.throughput_images, args.rounds = [2, 3], 2, 1
    args.singles, args.bursts = 1, [2]


def targets(results: dict) -> list[list[str]]:
    rows = []
    if "per_image" in results:
        lookup = report._per_image_lookup(results["per_image"])
        for size in results["config"]["sizes"]:
            heads = lookup[(size, report.per_image.CNNATTN)]["x_floor"]
            rows.append([f"all heads <= {report.TARGET_HEADS:.2f}x bare forward ({size} px)", f"{heads:.2f}x"])
            rows[-1].append(report._verdict(heads <= report.TARGET_HEADS))
            gradcam = lookup[(size, report.per_image.GRADCAM)]["x_cnnattn"]
            rows.append([f">= {report.TARGET_GRADCAM:.0f}x faster than Grad-CAM ({size} px)", f"{gradcam:.1f}x"])
            rows[-1].append(report._verdict(gradcam >= report.TARGET_GRADCAM))
    if "rerender" in results:
        for key, label in (("maps", "maps"), ("files", "app answer incl. files")):
            share = max(r["of_full"] for r in results["rerender"][key]["rows"] if r["what"] != "full request")
            rows.append([f"re-render <= 10% of a full request ({label})", f"{100 * share:.0f}% (worst change)"])
            rows[-1].append(report._verdict(share <= report.TARGET_RERENDER))
    if results.get("batch") and "memory" in results["batch"]:
        memory = results["batch"]["memory"]
        growth = memory[-1]["peak_main_mb"] / memory[0]["peak_main_mb"] - 1
        label = f"memory flat from {memory[0]['images']} to {memory[-1]['images']} images (< +10% peak RSS)"
        rows.append([label, f"{100 * growth:+.1f}%", report._verdict(growth < 0.10)])
    if "server" in results:
        failed = sum(r["failed"] for r in results["server"]["rows"] if r["app"] == "cnnattn")
        rows.append(["zero failed requests through the server (cnnattn)", str(failed), report._verdict(failed == 0)])
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    if args.report_from:
        report.write(json.loads(args.report_from.read_text(encoding="utf-8")), args.out)
        return 0
    if args.quick:
        quick(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    device = resolve_device(args.device)
    explainer = subjects.load_explainer(str(device))
    photo = subjects.example_photo()
    results: dict = {
        "command": " ".join(["python -m bench", *argv]),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": timing.machine(device),
        "versions": timing.versions(),
        "heads": subjects.head_origins(explainer),
        "backbone": subjects.backbone_facts(explainer),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "load": [timing.load_average()],
    }

    def section(name: str, work) -> None:
        if name in args.only:
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            results[name] = work()

    from bench import batch, per_image, rerender, server

    section("per_image", lambda: per_image.run(explainer, args.sizes, args.repeats, args.warmup))
    if "per_image" in args.only:
        args.only.append("threads")
        counts = sorted({1, torch.get_num_threads(), timing.machine(device)["cores"] or 1})
        section("threads", lambda: per_image.threads(explainer, counts, args.sizes[0], args.repeats, args.warmup))
    section("rerender", lambda: rerender.run(explainer, photo, args.repeats, args.warmup))
    env_threads = args.threads or None
    if "batch" in args.only and not args.data.is_dir():
        results["batch"] = {"skipped": f"{args.data} is absent (development data from ../shared)."}
    else:
        plan = batch.BatchPlan(args.batch_counts, args.throughput_images, args.rounds, args.workers, env_threads)
        section("batch", lambda: batch.run(explainer, args.data, str(device), plan))
    section("server", lambda: server.run(photo, str(device), args.singles, args.bursts, env_threads))
    results["load"].append(timing.load_average())
    results["elapsed_s"] = time.perf_counter() - started
    results["targets"] = targets(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    raw = args.out.parent / "benchmarks" / f"{args.out.stem}.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    report.write(results, args.out)
    print(f"[bench] wrote {args.out} and {raw} in {results['elapsed_s'] / 60:.1f} min", file=sys.stderr)
    return 0
