"""Lesson tab: the step texts after a temperature change or a query click come from cached features, never the backbone.

Starts the real app (app.build_app + app.serve) on 127.0.0.1, counts backbone passes with a forward
hook, and times through gradio_client in one run on one photo, round-robin:

- full request: `/lesson` with a fresh upload of the photo, so the server decodes, runs the backbone
  and renders. Each upload carries a different trailing comment after the JPEG's end marker: the
  pixels are identical but the content hash differs, so the encodings cache misses every time;
- texts after a temperature change: `/lesson_render` with the same photo and a new temperature. The
  endpoint takes the photo itself (gradio_client uploads it again; in the page the browser sends the
  path gradio already holds); its content hash hits the encodings cache, so no backbone pass. The page
  itself writes these texts in the browser with no request (static/lesson/); this is what a
  script pays for them;
- texts after a query click: `/lesson_render` with a new query cell on the self-attention head;
- round-trip floor: a request the server refuses at once, i.e. the queue and client protocol alone.

The same comparison in-process (library only: `Explainer.encode` + `lesson_answer` vs `lesson_answer`)
separates the server's overhead. Results go to stdout as JSON and into docs/LESSON.md.

    python -m bench.lesson_rerender [--repeats 12] [--photo PATH] [--no-write]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from bench.server import free_port
from bench.timing import Samples, interleaved, load_average, machine, synchronizer, versions
from cnnattn.heads import MapForm
from cnnattn.lesson.answer import LessonSettings

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "LESSON.md"
BEGIN, END = "<!-- bench:lesson_rerender -->", "<!-- /bench:lesson_rerender -->"


def endpoint_arguments(settings: LessonSettings) -> dict:
    """LessonSettings as keyword arguments of the /lesson endpoints, which take the query as x and y."""
    values = dataclasses.asdict(settings)
    values["query_x"], values["query_y"] = values.pop("query")
    return values


SETTINGS = endpoint_arguments(LessonSettings())


def query_head(explainer) -> str:
    """The first query-row head's id, e.g. "self/0": the head a click on a cell re-renders."""
    return next(str(i) for head in explainer.heads if head.form is MapForm.QUERY_ROW for i in head.ids())


@contextlib.contextmanager
def count_backbone_passes(backbone: torch.nn.Module):
    """Count passes through the backbone's first layer; the hook is removed even on error."""
    first_layer = next(backbone.model.children())
    counter = {"passes": 0}

    def hook(module, inputs):
        counter["passes"] += 1

    handle = first_layer.register_forward_pre_hook(hook)
    try:
        yield counter
    finally:
        handle.remove()


def unique_copies(photo: Path, folder: Path):
    """Endless copies of the photo with the same pixels and a different content hash each."""
    data = photo.read_bytes()
    number = 0
    while True:
        number += 1
        path = folder / f"{photo.stem}-{number}{photo.suffix}"
        path.write_bytes(data + f"cnnattn-bench-{number}".encode())  # after the JPEG's end: ignored by decoders
        yield path


def through_server(explainer, photo: Path, repeats: int, warmup: int) -> dict:
    from gradio_client import Client, handle_file

    from cnnattn.webapp import app

    demo = app.build_app(explainer)
    port = free_port()
    app.serve(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    folder = Path(tempfile.mkdtemp(prefix="cnnattn-lesson-bench-"))
    copies = unique_copies(photo, folder)
    try:
        # Output images are written and served either way; not fetching them keeps the client's HTTP
        # downloads (a browser fetches them in parallel, natively) out of the server's time.
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=False)
        studied = str(next(copies))
        client.predict(handle_file(studied), **SETTINGS, api_name="/lesson")  # encoded once, then cached
        temperatures = iter([1.0, 2.0, 3.0, 5.0, 6.0, 8.0] * (repeats + warmup))
        cells = iter([(0.1, 0.1), (0.9, 0.2), (0.5, 0.8), (0.3, 0.4)] * (repeats + warmup))

        def full():
            client.predict(handle_file(str(next(copies))), **SETTINGS, api_name="/lesson")

        def slider():
            settings = dict(SETTINGS, temperature=next(temperatures))
            client.predict(handle_file(studied), None, **settings, api_name="/lesson_render")

        def click():
            x, y = next(cells)
            query = dict(SETTINGS, head=query_head(explainer), temperature=1.0, query_x=x, query_y=y)
            client.predict(handle_file(studied), None, **query, api_name="/lesson_render")

        def floor():
            with contextlib.suppress(Exception):  # refused at once: gr.Error for a missing photo
                client.predict(None, None, **SETTINGS, api_name="/lesson_render")

        timed = {
            "full request (upload, backbone, render)": full,
            "texts after a temperature change": slider,
            "texts after a query click": click,
            "round-trip floor (request refused at once)": floor,
        }
        passes = {}
        with count_backbone_passes(explainer.backbone) as counter:
            for name, method in timed.items():  # one call each, counted on its own
                before = counter["passes"]
                method()
                passes[name] = counter["passes"] - before
            samples = interleaved(timed, repeats, warmup, lambda: None)
            passes_total = counter["passes"]
        client.close()
    finally:
        demo.close()
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return {"samples": samples, "passes_per_call": passes, "passes_total": passes_total}


def in_process(explainer, photo: Path, repeats: int, warmup: int) -> dict[str, Samples]:
    from cnnattn.image.loading import load_image
    from cnnattn.lesson.answer import lesson_answer

    image = load_image(photo.read_bytes())
    encoded = explainer.encode(image)
    heads, settings = explainer.heads, LessonSettings()
    clicked = LessonSettings(head=query_head(explainer), temperature=1.0, query=(0.2, 0.7))

    def full():
        fresh = load_image(photo.read_bytes())
        return lesson_answer(heads, explainer.encode(fresh), settings)

    timed = {
        "full (decode, backbone, lesson view)": full,
        "slider move (lesson view, T = 2)": lambda: lesson_answer(heads, encoded, LessonSettings(temperature=2.0)),
        "query click (lesson view, new query)": lambda: lesson_answer(heads, encoded, clicked),
    }
    # In a worker thread, as the server runs handlers: here torch's main thread was up to 10x slower
    # under load (its 2-thread OpenMP team spins against other processes), which would skew the ratio.
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(interleaved, timed, repeats, warmup, synchronizer(explainer.device)).result()


def table(samples: dict[str, Samples], passes: dict[str, int] | None = None) -> str:
    full = next(iter(samples.values())).median_ms
    header = "| what | median ms | p95 ms | share of a full request |"
    header += " backbone passes per call |" if passes else ""
    rule = "|---|---:|---:|---:|" + ("---:|" if passes else "")
    lines = [header, rule]
    for name, s in samples.items():
        row = f"| {name} | {s.median_ms:.0f} | {s.p95_ms:.0f} | {s.median_ms / full:.0%} |"
        lines.append(row + (f" {passes[name]} |" if passes else ""))
    return "\n".join(lines)


def report(result: dict) -> str:
    server, library = result["server"], result["library"]
    facts = result["machine"]
    lines = [
        BEGIN,
        f"Measured {result['date']} on {facts['cpu']} ({facts['cores']} cores, torch threads "
        f"{facts['torch_threads']}, device {facts['device']}), load average before the run "
        f"{result['load_before'][0]:.2f}; photo `{result['photo']}`, grid {result['grid']}, "
        f"{result['repeats']} timed rounds after {result['warmup']} warm-up rounds, interleaved.",
        "",
        "Through the server (gradio_client on 127.0.0.1, the real app):",
        "",
        table(server["samples"], server["passes_per_call"]),
        "",
        f"Backbone passes during the whole timed run: {server['passes_total']} "
        f"(= one per full request: {server['passes_total_expected']}).",
        "",
        "In-process (library calls only, in a worker thread like the server's handlers):",
        "",
        table(library),
        "",
        "Reproduce: `python -m bench.lesson_rerender` (writes this block).",
        END,
    ]
    return "\n".join(lines)


def write_report(block: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC} lacks the {BEGIN} ... {END} markers; add them where the result should go.")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(head + block + tail, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from gradio.media import get_image

    from cnnattn.explain import Explainer
    from cnnattn.image.loading import load_image

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photo", type=Path, default=Path(get_image("cheetah.jpg")))
    parser.add_argument("--repeats", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/LESSON.md as it is")
    args = parser.parse_args(argv)

    explainer = Explainer.load(device=args.device)
    load_before = load_average()
    server = through_server(explainer, args.photo, args.repeats, args.warmup)
    server["passes_total_expected"] = (args.repeats + args.warmup) + 1  # interleaved full calls + the counted one
    library = in_process(explainer, args.photo, args.repeats, args.warmup)
    grid = tuple(explainer.encode(load_image(args.photo.read_bytes())).features.shape[-2:])
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(explainer.device),
        "versions": versions(),
        "load_before": load_before,
        "photo": args.photo.name,
        "grid": f"{grid[0]} x {grid[1]}",
        "repeats": args.repeats,
        "warmup": args.warmup,
        "server": server,
        "library": library,
    }
    printable = {k: v for k, v in result.items() if k not in ("server", "library")}
    printable["server_ms"] = {n: round(s.median_ms, 1) for n, s in server["samples"].items()}
    printable["library_ms"] = {n: round(s.median_ms, 1) for n, s in library.items()}
    printable["passes_per_call"] = server["passes_per_call"]
    print(json.dumps(printable, indent=2))
    ok = server["passes_total"] == server["passes_total_expected"] and all(
        passes == 0 for name, passes in server["passes_per_call"].items() if not name.startswith("full")
    )
    if not args.no_write:
        write_report(report(result))
    if not ok:
        print("FAIL: a re-render ran the backbone", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
