"""The one launch of the web app with public-server settings: `python app.py`, `cnnattn serve` and the
front end of `cnnattn serve --ray` (cnnattn/distributed/serve.py) all start it here, and so do the tests
(tests/conftest.py), so what is tested is what runs. docs/DEPLOYMENT.md explains each setting.

It never imports the page (cnnattn/webapp/app.py): the page imports it, so the two cannot drift apart
again and no import circle forms.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import gradio as gr

from cnnattn.image.loading import MAX_FILE_BYTES
from cnnattn.webapp import memory
from cnnattn.webapp.gradio_internals import (
    drop_update_marker_from_html_props,
    lazy_session_configs,
    limit_jobs_per_session,
)
from cnnattn.webapp.scripts import page_head
from cnnattn.webapp.theme import PAGE_CSS, accessible_theme

QUEUE_SIZE = 100  # jobs waiting in the whole server: a class of 30 with a few events each
JOBS_PER_SESSION = 3  # jobs one browser tab or script may have waiting or running at once
# Jobs of one event running at once when the model runs in this process: one model on all the cores
# runs one pass at a time, and a second would only make both slower. The Ray front end passes its own
# (cnnattn.distributed.serve.front_end_concurrency): there the passes run on the replicas, and one job
# at a time would leave all but one replica idle and never fill a batch.
LOCAL_CONCURRENCY = 1


@dataclass(frozen=True)
class Listen:
    """Where the server listens and how it is reached (the network part of the serve options)."""

    host: str  # address to listen on (127.0.0.1: this machine only)
    port: int  # port to listen on
    share: bool = False  # also open a temporary public gradio.live link
    root_path: str | None = None  # URL prefix when served behind a reverse proxy, e.g. /cnnattn

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Listen:
        """From `cnnattn serve`'s or `python app.py`'s parsed options (cnnattn/webapp/options.py)."""
        return cls(args.host, args.port, args.share, args.root_path)


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
        theme=accessible_theme(),  # contrast that axe-core accepts (tests/test_accessibility.py)
        css=PAGE_CSS,
        head=page_head(),  # the page's one script (cnnattn/webapp/scripts.py), run before any component
        app_kwargs={"docs_url": None, "redoc_url": None, "openapi_url": None},
    )
    if root_path is not None:
        options["root_path"] = root_path
    return options


def launch(demo: gr.Blocks, listen: Listen, concurrency: int = LOCAL_CONCURRENCY, **extra):
    """Queue and launch `demo` with the public-server settings; `concurrency` is the default number of
    jobs of one event running at once (events with a limit of their own keep it: Explore's answers run
    4 at a time either way). `extra` goes to `demo.launch` (the tests' prevent_thread_lock, quiet)."""
    memory.limit_allocator()  # before gradio's threads start (cnnattn/webapp/memory.py)
    memory.start_trimming()
    drop_update_marker_from_html_props()  # build_app applies it too; a demo built elsewhere needs it as well
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=concurrency, api_open=False)
    limit_jobs_per_session(demo, JOBS_PER_SESSION)
    lazy_session_configs()  # a class joining at once does not wait on gradio's per-session config snapshot
    return demo.launch(**launch_options(listen.host, listen.port, listen.share, listen.root_path), **extra)
