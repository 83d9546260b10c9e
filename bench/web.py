"""The web app as a visitor and a class use it (issue 10's targets), against the one-map Grad-CAM app.

- One visitor in chromium: upload to every map drawn (cnnattn) and to the overlay shown (Grad-CAM app,
  upload then Submit), new photos each time; and through gradio_client, `/explain` against `/gradcam`.
- Zero-request controls: requests counted until 1 s after the last change, and the redraw time; the
  Lesson's head, temperature and query with the time until its step texts show them (bench/web_lesson.py).
- A class: 30 clients x 2 requests of the same photo within one second; 30 clients with 30 photos.

    python -m bench.web [--rounds 5] [--json docs/benchmarks/web.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import ssl
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.server import ROOT, distinct_photos, free_port, launch, stop
from bench.timing import percentile
from bench.web_lesson import lesson_controls

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]  # fmt: skip
VIEW = "window.cnnattn?.view('explore')"
# The anchor's answer is on screen when its output image has loaded: a second served image beside the input's
# preview of the upload (each visitor opens a fresh page). Until 2026-11-26 this waited for any served image,
# which the input's preview already is, so the anchor's figures were upload-to-preview times.
ANCHOR_SHOWN = (
    "() => [...document.querySelectorAll('img')].filter(i => i.src.includes('/file=') && i.complete && i.naturalWidth)"
    ".length >= 2"
)
SETTLE_S = 0.5  # quiet network before a visitor chooses a photo
REPEATS = 5  # changes per zero-request control (alternating values); the median is reported
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
ALTERNATES = {"opacity": "0.7", "colormap": "viridis", "colour mode": "absolute", "class-map temperature": "4",
              "learned temperature": "1", "head selection": "all"}  # fmt: skip


def browser_visitor(page, url: str, photos: list[Path], anchor: bool) -> list[dict]:
    """Seconds from choosing a photo (on a loaded page) to its maps drawn, one fresh page per photo. For
    cnnattn also when the upload and the queue request left, the answer reached the view, the maps on
    screen were drawn (the rest are painted when idle) and that first draw's own time in ms, measured in
    the page; for both, how long the page took to settle before the photo was chosen."""
    rows = []
    for photo in photos:
        activity = [time.perf_counter()]  # when a request last started or finished
        touch = lambda _, activity=activity: activity.__setitem__(0, time.perf_counter())  # noqa: E731
        page.on("request", touch)
        page.on("requestfinished", touch)
        page.goto(url)
        upload = page.locator("input[type=file]").first
        upload.wait_for(state="attached", timeout=120_000)
        attached = time.perf_counter()
        # A visitor chooses a photo on a page that has finished loading: no request started or finished for
        # SETTLE_S (the page's own load events done; a long-lived stream such as gradio's heartbeat stays
        # open). How long after the file input appeared the page went quiet is reported as settle_s.
        while time.perf_counter() - activity[0] < SETTLE_S and time.perf_counter() - attached < 60:
            page.wait_for_timeout(50)
        settle_s = max(activity[0] - attached, 0.0)
        page.remove_listener("request", touch)
        page.remove_listener("requestfinished", touch)
        marks: dict[str, float] = {}  # first request of each kind, seconds after the photo was chosen
        seen = lambda key, marks=marks: lambda r: key in r.url and marks.setdefault(key, time.perf_counter())  # noqa: E731
        page.on("request", uploaded := seen("/gradio_api/upload?"))
        page.on("request", joined := seen("/queue/join"))
        page_start = page.evaluate("() => performance.now()")
        start = time.perf_counter()
        upload.set_input_files(str(photo))
        if anchor:
            page.get_by_role("button", name="Submit").click()
            page.wait_for_function(ANCHOR_SHOWN, timeout=120_000, polling="raf")
            rows.append({"all_s": time.perf_counter() - start, "settle_s": settle_s})
        else:
            page.wait_for_function(f"() => {VIEW}?.draws > 0", timeout=120_000, polling="raf")
            visible = time.perf_counter()
            page.wait_for_function(f"() => {VIEW}.pending() === 0", timeout=120_000, polling="raf")
            done = time.perf_counter()
            received = (page.evaluate(f"() => {VIEW}.received") - page_start) / 1000
            rows.append({"all_s": done - start, "on_screen_s": visible - start,
                         "upload_request_s": marks.get("/gradio_api/upload?", start) - start,
                         "queue_request_s": marks.get("/queue/join", start) - start, "answer_in_view_s": received,
                         "first_draw_ms": page.evaluate(f"() => {VIEW}.lastDrawMs"), "settle_s": settle_s})  # fmt: skip
        page.remove_listener("request", uploaded)
        page.remove_listener("request", joined)
    return rows


def zero_request_controls(page, url: str, photo: Path) -> list[dict]:
    """Each control changed REPEATS times: requests until 1 s after the last change, and the redraw time of
    the maps on screen (the others are painted when the page is idle) with all maps' time beside it."""
    page.goto(url)
    page.locator("#photo input[type=file]").set_input_files(str(photo))
    page.wait_for_function(f"() => {VIEW}?.draws > 0 && {VIEW}.pending() === 0", timeout=120_000)
    rows = []
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    for name, selector, value, event in CONTROLS:
        requests.clear()
        on_screen, everything = [], []
        target = f"document.querySelector('#maps').querySelector({json.dumps(selector)})"
        for repeat in range(REPEATS):
            draws = page.evaluate(f"() => {VIEW}.draws")
            shown = value if value is None or repeat % 2 == 0 else ALTERNATES.get(name, value)
            setting = f"t.value = {json.dumps(shown)};" if shown is not None else ""
            act = f"const t = {target}; const s = performance.now(); {setting} t.dispatchEvent({event}); return s;"
            start = page.evaluate(f"() => {{ {act} }}")
            page.wait_for_function(f"() => {VIEW}.draws > {draws}", timeout=10_000)
            on_screen.append(page.evaluate(f"() => {VIEW}.lastDrawMs"))
            page.wait_for_function(f"() => {VIEW}.pending() === 0", timeout=10_000, polling="raf")
            everything.append(page.evaluate("() => performance.now()") - start)
        page.wait_for_timeout(1000)
        rows.append({"control": name, "requests": len([u for u in requests if "/gradio_api/" in u]),
                     "ms": percentile(on_screen, 50), "max_ms": max(on_screen),
                     "all_maps_ms": percentile(everything, 50)})  # fmt: skip
    return rows


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) of this process, or of process `pid` (Linux /proc)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def clients(url: str, photos: list[Path], api_name: str, spread_s: float, server_pid: int | None = None,
            shared_tls: bool = True) -> dict:  # fmt: skip
    """One gradio_client per photo; starts spread evenly over `spread_s` seconds after a barrier.

    All clients run in this process, on the server's machine. gradio_client builds a new httpx client for
    each of its 3-4 HTTP calls per predict, and httpx loads certifi's CA bundle into a new TLS context
    every time, also for http:// (about 20 ms of CPU per call here: 84 ms of the clients' CPU per request,
    5 s for a class of 60, all taken from the 2 cores the server needs). With `shared_tls` every client
    gets one context built the same way (same verification); the report gives both sides' CPU per request."""
    import certifi  # httpx's own CA bundle (a dependency of gradio_client's httpx)
    from gradio_client import Client, handle_file

    options = {"ssl_verify": ssl.create_default_context(cafile=certifi.where())} if shared_tls else {}
    pool = [Client(url, verbose=False, download_files=False, **options) for _ in photos]
    gate = threading.Barrier(len(photos))
    cpu = (cpu_seconds(), cpu_seconds(server_pid) if server_pid else 0.0)
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
    client_cpu = cpu_seconds() - cpu[0]
    server_cpu = cpu_seconds(server_pid) - cpu[1] if server_pid else float("nan")
    done = [r for r in results if r and r[2] is None]
    latencies = [end - start for start, end, _ in done]
    wall = max(end for _, end, _ in done) - min(start for start, _, _ in done) if done else float("nan")
    errors = sorted({r[2] for r in results if r and r[2]})[:3]
    return {"requests": len(photos), "answered": len(done), "failures": len(photos) - len(done),
            "p50_s": percentile(latencies, 50), "p95_s": percentile(latencies, 95),
            "throughput_per_s": len(done) / wall if done else 0.0, "shared_tls": shared_tls,
            "client_cpu_ms_per_request": 1000 * client_cpu / len(photos),
            "server_cpu_ms_per_request": 1000 * server_cpu / len(photos), "errors": errors}  # fmt: skip


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
            report["browser_one_visitor_s"] = {
                k: {"p50": percentile([r["all_s"] for r in v], 50), "rows": v} for k, v in visitor.items()
            }
            report["browser_breakdown_p50"] = {
                key: percentile([r[key] for r in visitor[app.name]], 50) for key in visitor[app.name][0]
            }
            report["zero_request_controls"] = zero_request_controls(page, app.url, photo)
            report["lesson_controls"] = lesson_controls(page, app.url)
            browser.close()
        api = {}
        for _ in range(args.rounds):
            for served in (app, anchor):
                api.setdefault(served.name, []).append(clients(served.url, take(1), f"/{served.api_name}", 0)["p50_s"])
        report["client_one_visitor_s"] = {k: {"p50": percentile(v, 50), "all": v} for k, v in api.items()}
        pid = app.process.pid
        report["class_same_photo_30x2"] = clients(app.url, [photo] * 60, "/explain", 1.0, pid)
        report["class_30_photos"] = clients(app.url, take(30), "/explain", 0, pid)
        # The same class with gradio_client's own TLS setup per call (the clients' CPU competes with the server).
        report["class_same_photo_30x2_stock_clients"] = clients(app.url, [photo] * 60, "/explain", 1.0, pid, False)
    finally:
        stop(app)
        stop(anchor)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
