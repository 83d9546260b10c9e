"""cnnattn web app: the page and its tabs (layout and wiring), and `python app.py`'s entry point; the
public-server launch settings live in cnnattn/webapp/launch.py."""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import shutil
from pathlib import Path

import gradio as gr

from cnnattn import Explainer
from cnnattn.errors import UserError
from cnnattn.explain import resolve_device
from cnnattn.i18n import language_choices, languages, text
from cnnattn.pipeline import Pipeline
from cnnattn.shutdown import interrupt_on_sigterm
from cnnattn.webapp import memory, run_files
from cnnattn.webapp.explore import ExploreTab
from cnnattn.webapp.gradio_internals import drop_update_marker_from_html_props
from cnnattn.webapp.launch import JOBS_PER_SESSION, QUEUE_SIZE, Listen, launch, launch_options
from cnnattn.webapp.lesson import LessonTab
from cnnattn.webapp.options import parse_args
from cnnattn.webapp.scripts import start_page

# The page's own public-server setting; the launch's are in cnnattn/webapp/launch.py (docs/DEPLOYMENT.md).
CACHE_SWEEP_S = (300, 1800)  # every 5 min, delete gradio's copies of uploads and outputs older than 30 min


@functools.cache
def example_photos() -> list[str]:
    """Photos shipped inside installed packages (never development data), copied once into a temp
    folder: gradio serves only files under the working directory or the temp dir, and an installed
    cnnattn runs from anywhere, with site-packages elsewhere (allowed_paths stays empty)."""
    import matplotlib  # imported already: the overlays' colormaps
    from gradio.media import get_image

    sources = [
        get_image("cheetah.jpg"),
        get_image("lion.jpg"),
        str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"),
        get_image("tower.jpg"),
        str(package_folder("sklearn") / "datasets" / "images" / "flower.jpg"),
    ]
    folder = run_files.subfolder("examples")
    return [str(shutil.copy(source, folder / Path(source).name)) for source in sources]


def package_folder(name: str) -> Path:
    """An installed package's folder, found without importing it: importing sklearn loads scipy, over a
    second of the app's start for one photo's path."""
    return Path(importlib.util.find_spec(name).origin).parent


def head_temperatures(explainer: Explainer, temperature: float, class_temperature: float) -> dict[str, float]:
    """Explore's two temperature controls: one for class-conditional maps, one for every other head."""
    return {head.kind: class_temperature if head.class_conditional else temperature for head in explainer.heads}


def is_layout(block: gr.blocks.Block) -> bool:
    """Tabs, accordions, rows: blocks that hold other components (gr.HTML is a component)."""
    return isinstance(block, gr.blocks.BlockContext) and not isinstance(block, gr.components.Component)


def relabelled(pairs: list, language: str, **values) -> list:
    """Updates for (component, key, attributes) pairs, worded in `language`; `attributes` is "label",
    "value" or several names separated by spaces ("label alt_text"), all set to the same text."""
    return [
        gr.update(**dict.fromkeys(attributes.split(), text(key, language, **values))) for _, key, attributes in pairs
    ]


def relabel_in_browser(pairs: list) -> str:
    """A browser-only event's JavaScript that words layout blocks' labels in the chosen language. They are
    never outputs of a server event: after one, gradio's page copies every component inside such a block
    on each later loading-status change (a whole tab, its 1000-class list and views included)."""
    words = {lang: [text(key, lang) for _, key, _ in pairs] for lang in languages()}
    attributes = json.dumps([attribute for _, _, attribute in pairs])
    return (
        f"(lang) => ({json.dumps(words)}[lang] || {json.dumps(words['en'])})"
        f".map((word, i) => ({{ __type__: 'update', [{attributes}[i]]: word }}))"
    )


def build_app(pipeline: Pipeline | Explainer) -> gr.Blocks:
    """The whole page. Every backbone pass goes through `pipeline` (pass a Pipeline subclass to serve
    the model elsewhere); an Explainer is wrapped in a local Pipeline."""
    if isinstance(pipeline, Explainer):
        pipeline = Pipeline(pipeline, capacity=32)
    drop_update_marker_from_html_props()  # the Lesson's view survives updates sent before its tab is opened
    output_dir = run_files.subfolder("outputs")  # frozen webcam frames, downloads
    explore = ExploreTab(pipeline, example_photos(), output_dir)
    lesson = LessonTab(pipeline, example_photos(), output_dir)
    with gr.Blocks(title=text("page.title"), delete_cache=CACHE_SWEEP_S, analytics_enabled=False) as demo:
        language = gr.Radio(language_choices(), value="en", label=text("language"), elem_id="language")
        with gr.Tabs(elem_id="tabs") as tabs:
            explore.render()
            lesson.render()
        explore.wire(language)
        lesson.wire(demo, language, tabs)
        pairs = [(explore.intro, "explore.intro", "value"), *explore.relabelled(), *lesson.relabelled()]
        served = [pair for pair in pairs if not is_layout(pair[0])]
        language.change(
            lambda lang: relabelled(served, lang, backbone=pipeline.explainer.backbone.name),
            language,
            [component for component, _, _ in served],
            api_name=False,
            queue=False,
        )
        layout = [pair for pair in pairs if is_layout(pair[0])]
        language.change(None, language, [c for c, _, _ in layout], js=relabel_in_browser(layout), api_name=False)
        gradio_words = [{lang: text("page.gradio_webcam", lang) for lang in languages()}]
        demo.load(None, None, None, js=start_page(gradio_words), api_name=False)
        language.change(None, language, None, js="(lang) => { window.cnnattnPage?.setLanguage(lang); }", api_name=False)
    return demo


def serve(demo: gr.Blocks, host: str, port: int, share: bool = False, root_path: str | None = None, **extra):
    """`launch` with one job of each event at a time, as `python app.py` runs; tests and benchmarks start
    the app here."""
    return launch(demo, Listen(host, port, share, root_path), **extra)


def run(args: argparse.Namespace) -> int:
    """Load the model once and serve until stopped; `cnnattn serve` calls this with its parsed options.

    A missing backbone or GPU raises BackboneUnavailable or ValueError, each one sentence.
    """
    memory.limit_allocator()  # first, before loading starts any thread (launch() repeats it for the tests)
    resolve_device(args.device)  # fail at once, before loading a backbone, when no GPU is there
    load_options = dict(weights=args.weights)
    if args.checkpoints:
        load_options["checkpoint_dir"] = args.checkpoints
    explainer = Explainer.load(args.backbone, args.device, **load_options)
    with interrupt_on_sigterm():  # SIGTERM stops gradio as Ctrl-C does: its files, then the run's go
        launch(build_app(Pipeline(explainer, capacity=32)), Listen.from_args(args))
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python app.py [options]`: the options of `cnnattn serve`; a setup error exits 1 with one sentence."""
    from cnnattn.backbones import BackboneUnavailable

    args = parse_args(argv)
    try:
        return run(args)
    except (BackboneUnavailable, ValueError) as exc:
        raise SystemExit(f"cnnattn: {exc}") from exc


__all__ = [
    "JOBS_PER_SESSION",
    "QUEUE_SIZE",
    "UserError",
    "build_app",
    "example_photos",
    "head_temperatures",
    "launch_options",
    "main",
    "parse_args",
    "serve",
]

if __name__ == "__main__":
    main()
