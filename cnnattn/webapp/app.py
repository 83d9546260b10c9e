"""cnnattn web app: upload a photo, see where the attention heads look. Layout and wiring only."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image

from cnnattn import Explainer, ImageRejected
from cnnattn.explain import Encoded, resolve_device
from cnnattn.heads import ClassMap
from cnnattn.i18n import LANGUAGE_CHOICES, text
from cnnattn.image.loading import MAX_FILE_BYTES
from cnnattn.labels import class_names
from cnnattn.pipeline import Pipeline
from cnnattn.render import COLORMAPS, DEFAULT_COLORMAP
from cnnattn.render.outputs import RenderOptions, caption, render_overlays, sweep, write_outputs
from cnnattn.webapp.lesson_tab import build_lesson_tab, translated

# gradio serves its own cached copy of every returned file, so ours only need to outlive the request.
OUTPUT_MAX_AGE_S = 60
# Public-server settings; docs/DEPLOYMENT.md explains each one.
QUEUE_SIZE = 100  # jobs waiting in the whole server: a class of 30 with a few events each
JOBS_PER_SESSION = 3  # jobs one browser tab or script may have waiting or running at once
CACHE_SWEEP_S = (300, 1800)  # every 5 min, delete gradio's copies of uploads and outputs older than 30 min
OUT_OF_MEMORY = "The server ran out of GPU memory for this photo; please try again in a moment."
TOP1 = "top-1 prediction"


def example_photos() -> list[str]:
    """Photos shipped inside installed packages (never development data)."""
    import matplotlib
    import sklearn
    from gradio.media import get_image

    return [
        get_image("cheetah.jpg"),
        get_image("lion.jpg"),
        str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"),
        get_image("tower.jpg"),
        str(Path(sklearn.__file__).parent / "datasets" / "images" / "flower.jpg"),
    ]


def pass_raw_upload(component: gr.Image) -> gr.Image:
    """Hand the raw upload path to cnnattn's safe loader instead of gradio's PIL preprocessing.

    Gradio opens uploads with PIL before any check (a decompression bomb or a text file fails
    there with an opaque error). Overriding `preprocess` on the instance, not by subclassing,
    keeps the stock frontend: gradio serves any subclass as a custom component.
    """
    stock = component.preprocess

    def preprocess(payload):
        if payload is None:
            return None
        if payload.url and payload.url.startswith("data:"):
            return stock(payload)  # webcam/clipboard data URLs: gradio writes them to a file
        return payload.path

    component.preprocess = preprocess
    return component


class Session:
    """Server-side state shared by handlers: the pipeline (model + single-flight encodings cache) and
    the outputs folder."""

    def __init__(self, explainer: Explainer, output_dir: Path):
        self.explainer = explainer
        self.pipeline = Pipeline(explainer, capacity=32)
        self.encodings = self.pipeline.encodings
        self.output_dir = output_dir

    def encode(self, path: str) -> tuple[Image.Image, Encoded]:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise gr.Error("The uploaded file could not be read; please upload it again.") from exc
        try:
            _, photo, encoded = self.pipeline.encode(data)
        except ImageRejected as exc:
            raise gr.Error(str(exc)) from exc
        return photo, encoded


@contextlib.contextmanager
def out_of_memory_as_error():
    """A CUDA OOM on a shared GPU is transient: free the cache, tell the user, keep serving."""
    try:
        yield
    except torch.cuda.OutOfMemoryError as exc:
        torch.cuda.empty_cache()
        raise gr.Error(OUT_OF_MEMORY) from exc


def class_choices(language: str) -> list[str]:
    return [TOP1] + [f"{i}: {name}" for i, name in enumerate(class_names(language))]


def parse_class(choice: str | None) -> int | None:
    if not choice or choice == TOP1:
        return None
    try:
        return int(choice.split(":", 1)[0])
    except ValueError as exc:
        raise gr.Error(f"Pick a class from the list, not {choice!r}.") from exc


def head_temperatures(explainer: Explainer, temperature: float, class_temperature: float) -> dict[str, float]:
    """The Explore tab's two sliders: one for class-conditional maps, one for every other head."""
    return {head.kind: class_temperature if head.class_conditional else temperature for head in explainer.heads}


def build_app(explainer: Explainer) -> gr.Blocks:
    session = Session(explainer, Path(tempfile.mkdtemp(prefix="cnnattn-outputs-")))

    def explain(
        image: str | None,
        class_choice: str = TOP1,
        query_x: float = 0.5,
        query_y: float = 0.5,
        colormap: str = DEFAULT_COLORMAP,
        opacity: float = 0.5,
        temperature: float = 1.0,
        class_temperature: float = ClassMap.default_temperature,
        shared_scale: bool = False,
        language: str = "en",
    ):
        """Predictions, one overlay per head, the raw weight grid, and files to download."""
        if image is None:
            raise gr.Error("Upload a photo first (or pick an example).")
        if colormap not in COLORMAPS:
            raise gr.Error(f"Unknown colormap {colormap!r}.")
        with out_of_memory_as_error():
            photo, encoded = session.encode(image)
            try:
                explanation = explainer.explain_encoded(
                    encoded,
                    queries=[(query_x, query_y)],
                    class_index=parse_class(class_choice),
                    temperatures=head_temperatures(explainer, temperature, class_temperature),
                    language=language,
                )
            except ValueError as exc:
                raise gr.Error(str(exc)) from exc
        overlays = render_overlays(photo, explanation, RenderOptions(colormap, opacity, shared_scale))
        sweep(session.output_dir, OUTPUT_MAX_AGE_S)
        pngs, data_files = write_outputs(session.output_dir, overlays, explanation, Path(image).name)
        labels = class_names(language)
        gallery = [(str(p), caption(m, labels)) for p, m in zip(pngs, explanation.maps, strict=True)]
        predictions = {p.label: p.prob for p in explanation.predictions}
        notes = "\n".join(f"- {note}" for note in explainer.notes)
        grid = np.round(explanation.maps[0].weights, 4).tolist()
        return predictions, gallery, grid, [str(p) for p in pngs + data_files], notes

    def choose_query(image: str | None, event: gr.SelectData) -> tuple[float, float]:
        """A click on the photo sets the SelfAttention query to that point (fractions of w, h)."""
        if image is None:
            raise gr.Error("Upload a photo first.")
        with out_of_memory_as_error():
            photo, _ = session.encode(image)
        x, y = event.index
        return min(max(x / photo.width, 0.0), 1.0), min(max(y / photo.height, 0.0), 1.0)

    def relabel(language: str):
        return gr.Dropdown(choices=class_choices(language), value=TOP1)

    def explain_if_photo(image: str | None, *controls):
        """Language switches re-explain only when there is a photo (a first visit has none)."""
        return explain(image, *controls) if image is not None else tuple(gr.skip() for _ in range(5))

    with gr.Blocks(
        title="cnnattn — where does the CNN look?", delete_cache=CACHE_SWEEP_S, analytics_enabled=False
    ) as demo:
        intro = gr.Markdown(text("explore.intro", "en", backbone=explainer.backbone.name))
        language = gr.Radio(LANGUAGE_CHOICES, value="en", label=text("language"), elem_id="language")
        with gr.Tabs(elem_id="tabs") as tabs:
            with gr.Tab(text("tab.explore"), id="explore", elem_id="explore-tab") as explore, gr.Row():
                with gr.Column(scale=1):
                    image = pass_raw_upload(
                        gr.Image(
                            label="Photo", type="filepath", sources=["upload", "webcam", "clipboard"], elem_id="photo"
                        )
                    )
                    run = gr.Button("Explain", variant="primary", elem_id="explain")
                    gr.Examples(example_photos(), inputs=image)
                    with gr.Accordion("Controls", open=True) as controls:
                        class_choice = gr.Dropdown(class_choices("en"), value=TOP1, label="Class for the class map")
                        with gr.Row():
                            query_x = gr.Slider(0, 1, 0.5, step=0.01, label="Query x (click the photo)")
                            query_y = gr.Slider(0, 1, 0.5, step=0.01, label="Query y")
                        colormap = gr.Dropdown(list(COLORMAPS), value=DEFAULT_COLORMAP, label="Colormap")
                        opacity = gr.Slider(0, 1, 0.5, step=0.05, label="Opacity")
                        temperature = gr.Slider(0.1, 5, 1.0, step=0.1, label="Temperature of learned heads")
                        class_temperature = gr.Slider(
                            0.5, 20, ClassMap.default_temperature, step=0.5, label="Temperature of the class map"
                        )
                        shared_scale = gr.Checkbox(False, label="One colour scale for all maps")
                with gr.Column(scale=2):
                    predictions = gr.Label(num_top_classes=5, label="Top-5 predictions", elem_id="predictions")
                    gallery = gr.Gallery(label="Attention maps", columns=3, height="auto", elem_id="maps")
                    notes = gr.Markdown(elem_id="notes")
                    with gr.Accordion("Raw weights of the class map", open=False) as raw_weights:
                        grid = gr.Dataframe(label="softmax weights (rows = grid rows)", elem_id="grid")
                    downloads = gr.File(label="Downloads: overlays (PNG), weights (JSON, .npy)", file_count="multiple")
            build_lesson_tab(explainer, session, demo, language, example_photos(), tabs, pass_raw_upload)

        inputs = [
            image,
            class_choice,
            query_x,
            query_y,
            colormap,
            opacity,
            temperature,
            class_temperature,
            shared_scale,
            language,
        ]
        outputs = [predictions, gallery, grid, downloads, notes]
        run.click(explain, inputs, outputs, api_name="explain")
        image.upload(explain, inputs, outputs, api_name=False)
        image.select(choose_query, image, [query_x, query_y], api_name=False).then(
            explain, inputs, outputs, api_name=False
        )
        for control in (class_choice, colormap, shared_scale):
            control.change(explain, inputs, outputs, api_name=False)
        for control in (opacity, temperature, class_temperature, query_x, query_y):
            control.release(explain, inputs, outputs, api_name=False)
        language.change(relabel, language, class_choice, api_name=False).then(
            explain_if_photo, inputs, outputs, api_name=False
        )
        explore_labels = [(explore, "tab.explore", "label"), (intro, "explore.intro", "value")]
        explore_labels += [(run, "explore.run", "value"), (image, "explore.photo", "label")]
        explore_labels += [(controls, "explore.controls", "label"), (raw_weights, "explore.raw_weights", "label")]
        for component, key in [
            (class_choice, "class"), (query_x, "query_x"), (query_y, "query_y"), (colormap, "colormap"),
            (opacity, "opacity"), (temperature, "temperature"), (class_temperature, "class_temperature"),
            (shared_scale, "shared_scale"), (predictions, "predictions"), (gallery, "maps"), (grid, "grid"),
            (downloads, "downloads"),
        ]:  # fmt: skip
            explore_labels.append((component, f"explore.{key}", "label"))
        language.change(
            lambda lang: translated(explore_labels, lang, backbone=explainer.backbone.name),
            language,
            [component for component, _, _ in explore_labels],
            api_name=False,
            queue=False,
        )
    return demo


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from cnnattn.cli import add_serve_arguments  # the same options as `cnnattn serve`

    parser = argparse.ArgumentParser(prog="python app.py", description="cnnattn web app (the same as `cnnattn serve`)")
    return add_serve_arguments(parser).parse_args(argv)


def limit_jobs_per_session(demo: gr.Blocks, limit: int) -> None:
    """Refuse a session's new job while it has `limit` waiting or running, so one script cannot
    fill the queue ahead of a class. Gradio has no such setting, so this wraps the queue's `push`.

    Calls without a session (the `/call/` REST route) share one allowance per client address.
    """
    queue = demo._queue
    push = queue.push
    admission = asyncio.Lock()  # count and enqueue as one step, or a burst slips past the count

    def owner(session_hash: str | None, event_id: str | None, request) -> str:
        anonymous = session_hash is None or session_hash == event_id  # gradio names such events by their id
        host = request.client.host if request is not None and request.client else "unknown"
        return f"address:{host}" if anonymous else session_hash

    def jobs_of(key: str) -> int:
        waiting = [e for events in queue.event_queue_per_concurrency_id.values() for e in events.queue]
        running = [e for job in queue.active_jobs if job for e in job]
        return sum(owner(e.session_hash, e._id, e.request) == key for e in waiting + running)

    async def limited_push(body, request, username):
        async with admission:
            if jobs_of(owner(body.session_hash, None, request)) >= limit:
                message = f"You already have {limit} requests in progress; wait for them to finish."
                return False, message, "queue_full"
            return await push(body, request, username)

    queue.push = limited_push


def launch_options(host: str, port: int, share: bool = False, root_path: str | None = None) -> dict:
    """Keyword arguments for `demo.launch` on a public server (docs/DEPLOYMENT.md explains each)."""
    options = dict(
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=MAX_FILE_BYTES,  # refused at the upload route, before anything is written to disk
        show_error=False,  # unexpected exceptions show a generic error; user mistakes are gr.Error
        allowed_paths=[],  # only gradio's own cache is served; outputs are copied into it
        strict_cors=True,
        run_history=False,  # no record of students' photos, in the browser or elsewhere
        enable_monitoring=False,
        mcp_server=False,
        pwa=False,
        ssr_mode=False,
        app_kwargs={"docs_url": None, "redoc_url": None, "openapi_url": None},
    )
    if root_path is not None:
        options["root_path"] = root_path
    return options


def serve(demo: gr.Blocks, host: str, port: int, share: bool = False, root_path: str | None = None, **extra):
    """Queue and launch with the public-server settings; main() and the tests both start the app here."""
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1, api_open=False)
    limit_jobs_per_session(demo, JOBS_PER_SESSION)
    return demo.launch(**launch_options(host, port, share, root_path), **extra)


def run(args: argparse.Namespace) -> int:
    """Load the model once and serve until stopped; `cnnattn serve` calls this with its parsed options.

    A missing backbone or GPU raises BackboneUnavailable or ValueError, each one sentence.
    """
    resolve_device(args.device)  # fail at once, before loading a backbone, when no GPU is there
    load_options = dict(weights=args.weights)
    if args.checkpoints:
        load_options["checkpoint_dir"] = args.checkpoints
    explainer = Explainer.load(args.backbone, args.device, **load_options)
    serve(build_app(explainer), args.host, args.port, args.share, args.root_path)
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python app.py [options]`: the options of `cnnattn serve`; a setup error exits 1 with one sentence."""
    from cnnattn.backbones import BackboneUnavailable

    args = parse_args(argv)
    try:
        return run(args)
    except (BackboneUnavailable, ValueError) as exc:
        raise SystemExit(f"cnnattn: {exc}") from exc


if __name__ == "__main__":
    main()
