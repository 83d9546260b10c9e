"""The web app as a visitor and a class use it (issue 10's targets), against the one-map Grad-CAM app.

- One visitor in chromium: upload to every map drawn (cnnattn) and to the overlay shown (Grad-CAM app,
  upload then Submit), new photos each time; and through gradio_client, `/explain` against `/gradcam`.
- Zero-request controls: requests counted until 1 s after the last change, and the redraw time.
- A class: 30 clients x 2 requests of the same photo within one second; 30 clients with 30 photos.

    python -m bench.web [--rounds 5] [--json docs/benchmarks/web.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.server import ROOT, distinct_photos, free_port, launch, stop
from bench.timing import percentile

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]  # fmt: skip
QUERY_CANVAS = "figure[data-head='self/0'] .cv-frame canvas"
CONTROLS = [  # (name, selector inside the view, value to set or None, event to send)
    ("opacity", "input[name=opacity]", "0.3", "new Event('input')"),
    ("colormap", "select[name=colormap]", "turbo", "new Event('change')"),
    ("colour mode", "select[name=mode]", "per_map", "new Event('change')"),
    ("class-map temperature", "input[name=class_temperature]", "2", "new Event('input')"),
    ("learned temperature", "input[name=temperature]", "2", "new Event('input')"),
    ("query (click)", QUERY_CANVAS, None, "new MouseEvent('click', {clientX: 400, clientY: 500, bubbles: true})"),
    ("query (arrow key)", QUERY_CANVAS, None, "new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true})"),
    ("head selection", "select[name=head]", "simple/1", "new Event('change')"),
]


def browser_visitor(page, url: str, photos: list[Path], anchor: bool) -> list[float]:
    """Seconds from choosing a photo to its maps on screen, one fresh page per photo."""
    times = []
    for photo in photos:
        page.goto(url)
        upload = page.locator("input[type=file]").first
        upload.wait_for(state="attached", timeout=120_000)
        start = time.perf_counter()
        upload.set_input_files(str(photo))
        if anchor:
            page.get_by_role("button", name="Submit").click()
            page.locator(".output-class img, [data-testid=image] img").last.wait_for(timeout=120_000)
            page.wait_for_function("() => [...document.querySelectorAll('img')].some(i => i.src.includes('/file=') && i.complete && i.naturalWidth > 0)", timeout=120_000)  # noqa: E501
        else:
            page.wait_for_function("() => window.cnnattnViews?.explore?.draws > 0", timeout=120_000)
        times.append(time.perf_counter() - start)
    return times


def zero_request_controls(page, url: str, photo: Path) -> list[dict]:
    page.goto(url)
    page.locator("#photo input[type=file]").set_input_files(str(photo))
    page.wait_for_function("() => window.cnnattnViews?.explore?.draws > 0", timeout=120_000)
    rows = []
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    for name, selector, value, event in CONTROLS:
        requests.clear()
        draws = page.evaluate("() => window.cnnattnViews.explore.draws")
        target = f"document.querySelector('#maps').querySelector({json.dumps(selector)})"
        setting = f"t.value = {json.dumps(value)};" if value is not None else ""
        page.evaluate(f"() => {{ const t = {target}; {setting} t.dispatchEvent({event}); }}")
        page.wait_for_function(f"() => window.cnnattnViews.explore.draws > {draws}", timeout=10_000)
        ms = page.evaluate("() => window.cnnattnViews.explore.lastDrawMs")
        page.wait_for_timeout(1000)
        rows.append({"control": name, "requests": len([url for url in requests if "/gradio_api/" in url]), "ms": ms})
    return rows


def clients(url: str, photos: list[Path], api_name: str, spread_s: float) -> dict:
    """One gradio_client per photo; starts spread evenly over `spread_s` seconds after a barrier."""
    from gradio_client import Client, handle_file

    pool = [Client(url, verbose=False, download_files=False) for _ in photos]
    gate = threading.Barrier(len(photos))
    results: list = [None] * len(photos)

    def run(i: int) -> None:
        gate.wait(timeout=120)
        time.sleep(spread_s * i / len(photos))
        start = time.perf_counter()
        try:
            pool[i].predict(handle_file(str(photos[i])), api_name=api_name)
            results[i] = (start, time.perf_counter(), None)
        except Exception as exc:  # counted: the report shows failures
            results[i] = (start, time.perf_counter(), f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(photos))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    done = [r for r in results if r and r[2] is None]
    latencies = [end - start for start, end, _ in done]
    wall = max(end for _, end, _ in done) - min(start for start, _, _ in done) if done else float("nan")
    return {"requests": len(photos), "answered": len(done), "failures": len(photos) - len(done),
            "p50_s": percentile(latencies, 50), "p95_s": percentile(latencies, 95),
            "throughput_per_s": len(done) / wall if done else 0.0}  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="photos per one-visitor measurement")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "benchmarks" / "web.json")
    args = parser.parse_args(argv)
    from gradio.media import get_image
    from playwright.sync_api import sync_playwright

    env = dict(os.environ, PYTHONPATH=str(ROOT), GRADIO_ANALYTICS_ENABLED="False", OMP_NUM_THREADS="1")
    scratch = Path(tempfile.mkdtemp(prefix="cnnattn-bench-web-"))
    photo = Path(get_image("cheetah.jpg"))
    ports = free_port(), free_port()
    app = launch("cnnattn", [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(ports[0])], ports[0],
                 "explain", env)  # fmt: skip
    anchor = launch("Grad-CAM app", [sys.executable, "bench/gradcam_app.py", "--port", str(ports[1])], ports[1],
                    "gradcam", env)  # fmt: skip
    report: dict = {"machine": f"{os.cpu_count()} cores", "rounds": args.rounds}
    try:
        fresh = iter(distinct_photos(photo, 4 * args.rounds + 64, scratch))
        take = lambda n: [next(fresh) for _ in range(n)]  # noqa: E731
        clients(app.url, take(1), "/explain", 0)  # warm-up: lazy imports, allocator growth
        clients(anchor.url, take(1), "/gradcam", 0)
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            visitor = {app.name: [], anchor.name: []}
            for _ in range(args.rounds):  # the two apps alternate, so load drifts hit both
                for served, is_anchor in ((app, False), (anchor, True)):
                    visitor[served.name] += browser_visitor(page, served.url, take(1), is_anchor)
            report["browser_one_visitor_s"] = {k: {"p50": percentile(v, 50), "all": v} for k, v in visitor.items()}
            report["zero_request_controls"] = zero_request_controls(page, app.url, photo)
            browser.close()
        api = {}
        for _ in range(args.rounds):
            for served in (app, anchor):
                api.setdefault(served.name, []).append(clients(served.url, take(1), f"/{served.api_name}", 0)["p50_s"])
        report["client_one_visitor_s"] = {k: {"p50": percentile(v, 50), "all": v} for k, v in api.items()}
        report["class_same_photo_30x2"] = clients(app.url, [photo] * 60, "/explain", 1.0)
        report["class_30_photos"] = clients(app.url, take(30), "/explain", 0)
    finally:
        stop(app)
        stop(anchor)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
