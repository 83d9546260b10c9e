"""Results dict -> docs/BENCHMARKS.md with tables, plots (PNG beside it) and the headline quote."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bench import per_image  # noqa: E402
from bench.server import NO_DOWNLOADS  # noqa: E402

TARGET_HEADS = 1.10  # all heads cost at most this times the bare forward
TARGET_GRADCAM = 3.0  # Grad-CAM (grad-cam) at least this times slower than cnnattn
TARGET_RERENDER = 0.10  # re-rendering at most this share of a full request


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _ms(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _verdict(holds: bool) -> str:
    return "holds" if holds else "**does not hold**"


def _per_image_lookup(rows: list[dict]) -> dict:
    return {(r["size"], r["method"]): r for r in rows}


def _maps(results: dict) -> str:
    """The maps one explanation holds, from this run's heads: '10 maps (class, simple/0-3, ...)'."""
    ids = results["backbone"]["maps"]
    kinds: dict[str, list[str]] = {}
    for head_id in ids:
        kind, _, number = head_id.partition("/")
        kinds.setdefault(kind, []).append(number)
    names = [kind if numbers == [""] else f"{kind}/{numbers[0]}-{numbers[-1]}" for kind, numbers in kinds.items()]
    return f"{len(ids)} maps ({', '.join(names)})"


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def headline(results: dict) -> list[str]:
    lines = []
    if "per_image" in results:
        rows = _per_image_lookup(results["per_image"])
        for size in results["config"]["sizes"]:
            heads = rows[(size, per_image.CNNATTN)]["x_floor"]
            gradcam = rows[(size, per_image.GRADCAM)]["x_cnnattn"]
            lines.append(
                f"At {size} px, all {_maps(results)} cost **{heads:.2f}x** the bare backbone forward; "
                f"one Grad-CAM map takes **{gradcam:.1f}x** as long as cnnattn."
            )
    if "rerender" in results:
        share = max(r["of_full"] for r in results["rerender"]["maps"]["rows"] if r["what"] != "full request")
        lines.append(
            f"Changing temperature, class, query or colormap re-renders from cached features in at most "
            f"**{100 * share:.0f}%** of a full request's time."
        )
    if results.get("batch"):
        rows = results["batch"]["throughput"]
        memory = results["batch"]["memory"]
        lines.append(
            f"`python -m cnnattn explain` runs at **{rows[1]['images_per_s']:.1f} images/s** against "
            f"{rows[0]['images_per_s']:.1f} for the bare backbone with the same loader; peak memory "
            + ", ".join(f"{m['peak_main_mb']:.0f} MB at {m['images']} images" for m in memory)
            + "."
        )
    if "server" in results:
        rows = [r for r in results["server"]["rows"] if r["app"] == "cnnattn"]
        failed = sum(r["failed"] for r in rows)
        biggest = rows[-1]
        lines.append(
            f"Through the server, {biggest['scenario']}: P50 {biggest['p50_ms'] / 1000:.1f} s, "
            f"P95 {biggest['p95_ms'] / 1000:.1f} s, **{failed} failed requests** in {sum(r['requests'] for r in rows)}."
        )
    return lines


def _plot_per_image(rows: list[dict], sizes: list[int], path: Path) -> None:
    methods = list(dict.fromkeys(r["method"] for r in rows))
    lookup = _per_image_lookup(rows)
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(sizes)
    for i, size in enumerate(sizes):
        medians = [lookup[(size, m)]["median_ms"] for m in methods]
        low = [lookup[(size, m)]["median_ms"] - lookup[(size, m)]["p25_ms"] for m in methods]
        high = [lookup[(size, m)]["p75_ms"] - lookup[(size, m)]["median_ms"] for m in methods]
        x = [j + i * width for j in range(len(methods))]
        ax.bar(x, medians, width, yerr=[low, high], capsize=3, label=f"{size} px")
    ax.set_xticks([j + width * (len(sizes) - 1) / 2 for j in range(len(methods))])
    ax.set_xticklabels([m.replace(" (", "\n(").replace(", ", ",\n") for m in methods], fontsize=7)
    ax.set_ylabel("ms per image (median, IQR)")
    ax.set_title("Per image, same backbone and input")
    ax.legend()
    _save(fig, path)


def _plot_stages(stages: list[dict], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 3))
    names = [s["stage"] for s in stages][::-1]
    ax.barh(names, [s["median_ms"] for s in stages][::-1], color="tab:orange")
    ax.set_xlabel("ms (median)")
    ax.set_title("One request's stages (cnnattn, in process)")
    _save(fig, path)


def _plot_memory(memory: list[dict], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for run in memory:
        points = [t for t in run["timeline"] if t[1] > 0]  # an exiting process reads as 0 MB
        times = [t[0] for t in points]
        ax.plot(times, [t[1] for t in points], label=f"{run['images']} images: main process")
        ax.plot(times, [t[2] for t in points], linestyle="--", label=f"{run['images']} images: + workers")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("RSS (MB)")
    ax.set_title("python -m cnnattn explain: memory while streaming")
    ax.legend(fontsize=7)
    _save(fig, path)


def _plot_server(rows: list[dict], path: Path) -> None:
    scenarios = list(dict.fromkeys(r["scenario"] for r in rows))
    apps = list(dict.fromkeys(r["app"] for r in rows))
    lookup = {(r["app"], r["scenario"]): r for r in rows}
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(apps)
    for i, app in enumerate(apps):
        x = [j + i * width for j in range(len(scenarios))]
        ax.bar(x, [lookup[(app, s)]["p50_ms"] / 1000 for s in scenarios], width, label=f"{app} P50")
        ax.scatter(x, [lookup[(app, s)]["p95_ms"] / 1000 for s in scenarios], marker="_", s=200, color="k")
    ax.set_xticks([j + width * (len(apps) - 1) / 2 for j in range(len(scenarios))])
    ax.set_xticklabels(scenarios, fontsize=8)
    ax.set_ylabel("latency (s); black tick = P95")
    ax.set_title("gradio_client against each app on 127.0.0.1")
    ax.legend()
    _save(fig, path)


def write(results: dict, out: Path) -> None:
    """Write the markdown report and its plots (PNG files in a folder beside it)."""
    figures = out.parent / "benchmarks"
    figures.mkdir(parents=True, exist_ok=True)
    rel = figures.relative_to(out.parent)
    config, facts = results["config"], results["machine"]
    parts = [
        "# Benchmarks",
        "",
        "Produced by the committed command below; every comparison runs side by side in one process "
        "(methods interleaved round by round) and is reported as medians after warm-up, with same-run ratios.",
        "",
        "## Headline (for the README)",
        "",
        *(f"> {line}\n>" for line in headline(results)),
        f"> Measured {results['date']} on {facts['cores']} CPU cores ({facts['cpu']}), {facts['device']}, "
        f"{facts['torch_threads']} torch thread(s); `{results['command']}`.",
        "",
        "## Targets",
        "",
    ]
    parts += [_table(["target", "measured", "verdict"], results.get("targets", [])), ""]
    parts += [
        "## How it was measured",
        "",
        f"- Command: `{results['command']}` (took {results['elapsed_s'] / 60:.1f} min).",
        f"- Date: {results['date']}. Machine: {facts['cpu']}, {facts['cores']} cores, {facts['platform']}, "
        f"Python {facts['python']}; device `{facts['device']}`"
        + (f" ({facts['gpu']})" if "gpu" in facts else "")
        + f"; torch intra-op threads: {facts['torch_threads']}.",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()) + ".",
        f"- Backbone: {results['backbone']['name']} ({results['backbone']['num_features']} features at stride "
        f"{results['backbone']['stride']}, feature layer `{results['backbone']['feature_layer']}`). "
        f"Heads: {'; '.join(f'{k}: {v}' for k, v in results['heads'].items())}.",
        f"- Repeats: {config['repeats']} timed after {config['warmup']} warm-up calls per method; "
        "methods alternate within each round so background load hits them alike.",
        f"- Background load (1-minute load average) at start / end: {results['load'][0][0]:.1f} / "
        f"{results['load'][1][0]:.1f} on {facts['cores']} cores. The machine is shared with other engineers' "
        "training and tests, so absolute times are noisy and inflated; the same-run ratios are the result.",
        "",
    ]
    parts += findings(results)
    for section in SECTIONS:
        if section.key in results:
            parts += section.render(results, figures, rel)
    parts += gpu_section(results)
    out.write_text("\n".join(parts) + "\n", encoding="utf-8")


def _per_image_section(results: dict, figures: Path, rel: Path) -> list[str]:
    rows, sizes = results["per_image"], results["config"]["sizes"]
    _plot_per_image(rows, sizes, figures / "per_image.png")
    table = [
        [f"{r['size']} px", r["method"], _ms(r["median_ms"]), f"{_ms(r['p25_ms'])}–{_ms(r['p75_ms'])}"]
        + [f"{r['x_floor']:.2f}x", f"{r['x_cnnattn']:.2f}x"]
        for r in rows
    ]
    layer = f"`{results['backbone']['feature_layer']}`"
    parts = [
        "## Per image: the bare forward, cnnattn and the CAM tools",
        "",
        f"Same backbone ({results['backbone']['name']}), same random input, same device, batch 1. "
        "`cnnattn, all heads` is `Explainer.encode_inputs` (the backbone forward, keeping earlier stages) plus "
        f"`Explainer.explain_encoded`: {_maps(results)} at one query, top-5 of the backbone and of each "
        "head, copied to host once. Grad-CAM is the library's `cnnattn.analysis.gradcam` (what the lesson and "
        f"the evaluation call): `pytorch_grad_cam.GradCAM` at the feature layer {layer} on a deep copy of the "
        "network with every parameter requiring grad, made per call so the shared backbone never carries hooks; "
        "the `deep copy` row times that copy alone. TorchCAM's `GradCAM` (on a copy made once) takes gradients "
        "with `torch.autograd.grad` w.r.t. the hooked activation only; `CAM` runs under `no_grad`.",
        "",
        _table(["input", "method", "median ms", "IQR ms", "x floor", "x cnnattn"], table),
        "",
        f"![per image]({rel}/per_image.png)",
        "",
    ]
    if "threads" in results:
        thread_rows = [[r["threads"], f"{r['size']} px", r["method"], _ms(r["median_ms"])] for r in results["threads"]]
        parts += [
            "### Intra-op threads",
            "",
            "The same two calls at each torch thread count, in this process. On a machine busy with other "
            "work, every small op waits until all its threads are scheduled, so more threads can be far "
            "slower; the benchmark default is therefore `--threads 1` (pass `--threads 0` for torch's default).",
            "",
            _table(["threads", "input", "method", "median ms"], thread_rows),
            "",
        ]
    return parts


def _rerender_section(results: dict, figures: Path, rel: Path) -> list[str]:
    data = results["rerender"]
    _plot_stages(data["stages"], figures / "stages.png")
    maps = data["maps"]["rows"]
    files = {r["what"]: r for r in data["files"]["rows"]}
    table = [
        [r["what"], _ms(r["median_ms"]), f"{100 * r['of_full']:.0f}%"]
        + [_ms(files[r["what"]]["median_ms"]), f"{100 * files[r['what']]['of_full']:.0f}%"]
        for r in maps
    ]
    stages = [[s["stage"], _ms(s["median_ms"])] for s in data["stages"]]
    return [
        "## Re-rendering from cached features",
        "",
        f"Photo `{data['photo']}` ({data['stages'][0]['detail']}). A request takes the Explore handler's "
        "steps through the library's `Pipeline.explain`: a full request (a fresh pipeline) reads, hashes, "
        "decodes, preprocesses and runs the backbone, then explains and renders; a re-render (the pipeline's "
        "encodings cache hit) reads and hashes, then only explains and renders. `maps` stops at the overlays (the "
        "target's definition); `app answer` also writes what the app returns (overlay PNGs, weights.json, "
        "weights.npy).",
        "",
        _table(["request", "maps: median ms", "share of full", "app answer: median ms", "share of full"], table),
        "",
        "Encoding that request's overlays (all of them, one call) in formats a gallery could show:",
        "",
        _table(
            ["format", "overlays", "median ms", "total KB"],
            [[e["format"], e["overlays"], _ms(e["median_ms"]), f"{e['kb']:.0f}"] for e in data.get("encoders", [])],
        ),
        "",
        "Each stage of one request on its own (the profile behind the server's time split below):",
        "",
        _table(["stage", "median ms"], stages),
        "",
        f"![stages]({rel}/stages.png)",
        "",
    ]


def _batch_section(results: dict, figures: Path, rel: Path) -> list[str]:
    data = results["batch"]
    if "skipped" in data:
        return ["## Batch throughput and memory", "", f"Skipped: {data['skipped']}", ""]
    _plot_memory(data["memory"], figures / "batch_memory.png")
    rows = [
        [r["what"], r["images"], f"{r['images_per_s']:.2f}", f"{r['x_floor_time']:.2f}x"] for r in data["throughput"]
    ]
    memory = [
        [m["images"], m["records"], f"{m['wall_s']:.0f}", f"{m['images'] / m['wall_s']:.2f}"]
        + [f"{m['peak_main_mb']:.0f}", f"{m['peak_tree_mb']:.0f}", f"{m['output_mb']:.1f}", m.get("shapes", "?")]
        for m in data["memory"]
    ]
    first, last = data["memory"][0], data["memory"][-1]
    growth = last["peak_main_mb"] - first["peak_main_mb"]
    return [
        "## Batch: `python -m cnnattn explain` on a folder",
        "",
        f"Images from `../shared/data/imagenet-samples` (original sizes). Both loops use the CLI's "
        f"`PhotoDataset` and `DataLoader` ({data['workers']} workers decoding while the model runs); the "
        "cnnattn loop is the CLI's own record stream (`cnnattn.cli._records`) written as JSON lines. "
        "Rounds alternate; medians of rounds.",
        "",
        _table(["loop", "images", "images/s", "time x floor"], rows),
        "",
        "The real CLI as a subprocess, its RSS sampled every 50 ms (main process; `+ workers` adds the "
        "DataLoader workers, whose shared pages it counts twice). Wall time includes start-up "
        "(imports, model load, worker start).",
        "",
        _table(
            ["images", "records", "wall s", "images/s", "peak RSS MB", "+ workers MB", "output MB", "input shapes"],
            memory,
        ),
        "",
        f"Peak RSS of the main process grows by {growth:+.0f} MB ({100 * growth / first['peak_main_mb']:+.1f}%) "
        f"from {first['images']} to {last['images']} images while the output grows "
        f"{last['output_mb'] / max(first['output_mb'], 1e-9):.0f}x: records are streamed, not held. What "
        "grows is per-input-shape state (oneDNN kernels and allocator pools for each distinct network input "
        "size: photos keep their aspect ratio, so sizes vary). It is bounded, since inputs are snapped to "
        "multiples of 32 with the long side capped, and `python -m bench.shape_memory` shows it: RSS is flat "
        "over 400 photos forced to one input shape and stops growing once no new shape appears.",
        "",
        f"![memory]({rel}/batch_memory.png)",
        "",
    ]


def _server_section(results: dict, figures: Path, rel: Path) -> list[str]:
    data = results["server"]
    _plot_server(data["rows"], figures / "server.png")
    rows = [
        [r["scenario"], r["app"], r["requests"], r["failed"], _ms(r["p50_ms"]), _ms(r["p95_ms"])]
        + [f"{r['throughput_rps']:.2f}", _ms(r["submit_spread_ms"])]
        for r in data["rows"]
    ]
    errors = sorted({e for r in data["rows"] for e in r["errors"]})
    parts = [
        "## Through the server",
        "",
        "`gradio_client` clients against each app on 127.0.0.1, both servers up at once, scenarios "
        "alternating between them. A burst is N clients (one session each) released by a barrier, so "
        "all submit within the same few milliseconds (`submit spread`); latency runs from submit to "
        "the result with every file downloaded. `new photos` differ by one pixel, so no cache can serve them.",
        "",
        "- cnnattn: `" + data["commands"][0] + "` (the app's queue: concurrency 1, per-session job cap).",
        "- Grad-CAM baseline: `" + data["commands"][1] + "` (`gr.Interface`, PIL in, PIL out, default queue).",
        "",
        _table(
            ["scenario", "app", "requests", "failed", "P50 ms", "P95 ms", "throughput req/s", "submit spread ms"], rows
        ),
        "",
        f"![server]({rel}/server.png)",
        "",
    ]
    if errors:
        parts += ["Errors seen:", "", *(f"- `{e}`" for e in errors), ""]
    parts += where_time_goes(results)
    return parts


def where_time_goes(results: dict) -> list[str]:
    """Split one request's latency with the in-process stage profiles of the same functions."""
    if "rerender" not in results:
        return []
    rows = {(r["app"], r["scenario"]): r for r in results["server"]["rows"]}
    stages = {s["stage"]: s["median_ms"] for s in results["rerender"]["stages"]}
    baseline = {s["stage"]: s["median_ms"] for s in results["rerender"]["baseline_stages"]}
    warm = sum(stages[s] for s in ("read + hash", "explain", "render", "write files"))
    cold = warm + sum(stages[s] for s in ("decode", "preprocess", "model"))
    base = sum(baseline.values())
    bursts = [s for (_, s) in rows if s.startswith("burst")]
    burst = bursts[0] if bursts else None

    def line(app: str, scenario: str, service: float) -> list[str]:
        single = rows[(app, scenario)]["p50_ms"]
        same = rows[(app, "1 client, same photo")]["p50_ms"]
        fetch = same - rows[(app, NO_DOWNLOADS)]["p50_ms"]
        queued = rows[(app, burst)]["p50_ms"] - same if burst else 0.0
        rest = single - service - fetch  # estimates from separate runs: a small negative rest is noise
        return [app, scenario, _ms(single), _ms(service), _ms(rest) if rest > 0 else "~0", _ms(fetch), _ms(queued)]

    table = [
        line("cnnattn", "1 client, new photos (cold)", cold),
        line("cnnattn", "1 client, same photo", warm),
        line("Grad-CAM app", "1 client, same photo", base),
    ]
    split = ", ".join(f"{k} {_ms(v)}" for k, v in stages.items())
    base_split = ", ".join(f"{k} {_ms(v)}" for k, v in baseline.items())
    return [
        "### Where the time goes",
        "",
        "Service time is the sum of the in-process stage medians of the same functions the handlers call. "
        "Fetching files is the same-photo P50 minus the P50 of a client that does not download the returned "
        "files (gradio_client fetches every output file, the gallery and the downloads; a browser fetches the "
        "gallery and a download only when clicked). The rest is gradio itself: upload, queue bookkeeping, "
        "postprocessing (hashing and copying every returned file into its cache) and the event stream. "
        f"Queueing is the P50 of the {burst or 'burst'} minus the single-client P50.",
        "",
        _table(["app", "scenario", "client P50 ms", "service ms", "gradio ms", "fetch files ms", "queue ms"], table),
        "",
        f"- cnnattn stages (ms): {split}.",
        f"- Grad-CAM app stages (ms): {base_split}.",
        "",
    ]


def gpu_section(results: dict) -> list[str]:
    measured = results["machine"]["device"].startswith("cuda")
    note = (
        "The figures above were measured on the GPU named under *How it was measured*."
        if measured
        else "**GPU figures were not measured in this session** (no GPU was available to it)."
    )
    return [
        "## GPU",
        "",
        note + " Every benchmark takes `--device cuda` and runs the same code: the library moves the "
        "input to the device once, keeps features on it, and copies all maps to the host in one stacked "
        "transfer (`Explainer.explain_encoded`); timers synchronise the device before reading the clock. "
        "To produce GPU figures:",
        "",
        "```",
        "python -m bench --device cuda --threads 0 --out docs/BENCHMARKS-cuda.md",
        "```",
        "",
    ]


class _Section:
    def __init__(self, key: str, render):
        self.key, self.render = key, render


SECTIONS = [
    _Section("per_image", _per_image_section),
    _Section("rerender", _rerender_section),
    _Section("batch", _batch_section),
    _Section("server", _server_section),
]


def findings(results: dict) -> list[str]:
    """Plain statements of which targets fail and why, from this run's own numbers."""
    lines = []
    if "per_image" in results:
        lookup = _per_image_lookup(results["per_image"])
        sizes = results["config"]["sizes"]
        heads = {size: lookup[(size, per_image.CNNATTN)]["x_floor"] for size in sizes}
        torchcam = {size: lookup[(size, per_image.TORCHCAM_GRADCAM)]["x_cnnattn"] for size in sizes}
        copies = {size: lookup[(size, per_image.NETWORK_COPY)]["x_cnnattn"] for size in sizes}
        over = [f"{size} px ({heads[size]:.2f}x)" for size in sizes if heads[size] > TARGET_HEADS]
        lines.append(
            "- **All heads vs the bare forward.** "
            + (f"Over the {TARGET_HEADS:.2f}x target at {', '.join(over)}. " if over else "Within target. ")
            + "What cnnattn adds is `explain_encoded`, and most of that is the trained SelfAttention head's four "
            "1x1 projections (Q, K, V, output) over every position. The class map, SimpleAttention and the "
            "feature self-attention are nearly free. Only Q and K are needed for the maps; V and the output "
            "projection serve the head's own prediction (`head_predictions`), so skipping them when no one "
            "reads that prediction would cut the cost."
        )
        lines.append(
            "- **Grad-CAM.** The library's Grad-CAM takes "
            + ", ".join(f"{lookup[(size, per_image.GRADCAM)]['x_cnnattn']:.1f}x" for size in sizes)
            + " cnnattn's time, of which the per-call deep copy of the network is "
            + ", ".join(f"{copies[size]:.1f}x" for size in sizes)
            + "; it backpropagates into every parameter of that copy. A gradient CAM that stops at the hooked "
            "layer on a network copied once is much cheaper: TorchCAM's GradCAM "
            + ", ".join(f"{torchcam[size]:.2f}x" for size in sizes)
            + f" of cnnattn's time, for one map where cnnattn gives {len(results['backbone']['maps'])}."
        )
    if "rerender" in results:
        stages = {st["stage"]: st["median_ms"] for st in results["rerender"]["stages"]}
        encoders = {e["format"].split(",")[0].split(" ")[0]: e for e in results["rerender"].get("encoders", [])}
        text = (
            "- **Re-rendering.** Not within 10%: the cache removes decode and the backbone, but rendering "
            f"{len(results['backbone']['maps'])} overlays at the photo's resolution ({_ms(stages['render'])} ms) "
            "costs about "
            f"{stages['render'] / stages['model']:.0%} of the model ({_ms(stages['model'])} ms) by itself. "
            "Overlays were made 2x faster in this work (in-place blend, `np.take` colour lookup; pixels "
            "bit-identical). Reaching 10% needs less pixel work: re-render only the maps a change affects "
            "(a class change alters the class-conditional maps, a query click the query-row ones) or send "
            "grid-resolution maps for the browser to upscale."
        )
        if "PNG" in encoders and "JPEG" in encoders:
            png, jpeg = encoders["PNG"], encoders["JPEG"]
            text += (
                f" In the app's answer, writing the overlays as PNG ({_ms(png['median_ms'])} ms for "
                f"{png['overlays']}) outweighs everything else; JPEG at quality 90 takes "
                f"{_ms(jpeg['median_ms'])} ms ({png['median_ms'] / jpeg['median_ms']:.0f}x less, "
                f"{png['kb'] / jpeg['kb']:.0f}x fewer bytes), so a gallery of JPEG previews with PNG downloads "
                "written on request is the next step (it changes app.py's outputs, so it is left to the app's owner)."
            )
        lines.append(text)
    if "server" in results:
        rows = {(r["app"], r["scenario"]): r for r in results["server"]["rows"]}
        ours, theirs = rows.get(("cnnattn", "1 client, same photo")), rows.get(("Grad-CAM app", "1 client, same photo"))
        bare = rows.get(("cnnattn", "1 client, same photo, files not fetched"))
        if ours and theirs and bare:
            maps = len(results["backbone"]["maps"])
            lines.append(
                "- **Server.** Zero failures at every load is the target and "
                + ("holds. " if all(r["failed"] == 0 for k, r in rows.items() if k[0] == "cnnattn") else "fails. ")
                + f"Per request cnnattn is slower than the one-map Grad-CAM app (P50 {_ms(ours['p50_ms'])} vs "
                f"{_ms(theirs['p50_ms'])} ms) because it answers with {maps} overlays, each sent twice (gallery and "
                f"downloads), plus JSON and .npy: without fetching those files its P50 is {_ms(bare['p50_ms'])} ms. "
                f"Encoding PNGs in the handler and gradio hashing, copying and serving {2 * maps + 2} files are the "
                "cost, not the model."
            )
    return ["## What the numbers say", "", *lines, ""] if lines else []
