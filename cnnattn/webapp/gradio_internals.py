"""Everything that reaches into gradio's internals, checked against the gradio versions it was written for.

Uploads reach cnnattn's safe loader as raw paths (not gradio's PIL preprocessing); an update of a gr.HTML
keeps the view's props; one session may have only a few jobs waiting or running at once (gradio has no such
setting); and a new session no longer builds every component's config on the server's event loop before its
first job.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
from gradio import blocks, state_holder

from cnnattn.i18n import text
from cnnattn.image.loading import MAX_FILE_BYTES

SUPPORTED = ((6, 31), (7, 0))  # [low, high) as (major, minor): the queue internals below are gradio 6.31's


def check_version(version: str = gr.__version__) -> None:
    """Refuse to patch a gradio whose internals may differ; the message says what to install."""
    low, high = SUPPORTED
    major, minor = (int("".join(c for c in part if c.isdigit()) or 0) for part in (version.split(".") + ["0"])[:2])
    if not low <= (major, minor) < high:
        wanted = f">={low[0]}.{low[1]},<{high[0]}"
        raise RuntimeError(
            f"cnnattn's web app patches gradio internals written for gradio {wanted}; found {version}. "
            f"Install a supported version: pip install 'gradio{wanted}'."
        )


RAW_UPLOADS: set[str] = set()  # elem_ids of the image inputs whose uploads reach the safe loader raw


def raw_upload_image(**options) -> gr.Image:
    """A gr.Image (the options of gr.Image, an `elem_id` required) whose uploads reach cnnattn's safe loader
    as raw paths instead of gradio's PIL preprocessing, which opens a file before any check (a decompression
    bomb or a text file fails there with an opaque error and an error badge on every output). A `data:` URL
    (webcam frames, the clipboard, any script) is written out as its bytes, never decoded here: gradio's own
    path decodes it with PIL and no limit.

    Marked by its elem_id and patched on the class: gradio rebuilds a session's copy of a component from its
    class and constructor arguments whenever an event updates it (a relabel on a language switch), which
    dropped a patch of the instance; the elem_id is among those arguments, and the page keeps gradio's own
    image component."""
    check_version()
    if getattr(gr.Image.preprocess, "passes_raw_uploads", False) is False:
        stock = gr.Image.preprocess

        def preprocess(self, payload):
            if self.elem_id not in RAW_UPLOADS or payload is None:
                return stock(self, payload)
            if payload.url and payload.url.startswith("data:"):
                return data_url_file(payload.url, Path(self.GRADIO_CACHE) / "data-urls")
            return payload.path

        preprocess.passes_raw_uploads = True
        gr.Image.preprocess = preprocess
    RAW_UPLOADS.add(options["elem_id"])
    return gr.Image(**options)


def data_url_file(url: str, folder: Path) -> str:
    """A `data:` URL's bytes in a randomly named file, for the safe loader to check like any upload. At most
    the loader's size limit + 1 bytes are decoded, so a larger one is refused there without being held here."""
    header, _, data = url.partition(",")
    limit = MAX_FILE_BYTES + 1
    if header.endswith(";base64"):
        try:
            raw = base64.b64decode(data[: 4 * -(-limit // 3)], validate=False)  # 4 characters per 3 bytes
        except binascii.Error:
            raw = b""  # the loader answers "empty"
    else:
        raw = urllib.parse.unquote_to_bytes(data[: 3 * limit])[:limit]  # "%xx" is 3 characters per byte
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / secrets.token_hex(16)
    path.write_bytes(raw[:limit])
    return str(path)


def drop_update_marker_from_html_props() -> None:
    """gradio 6.31 sends an update of a gr.HTML (gr.skip() included) as `props: {"__type__": "update"}`: every
    key outside HTML's signature becomes a template prop, the update marker too. A page that mounts the view
    later (its tab opened by a click) then builds it from those props alone, without the colour tables and
    strings it was created with, and the view fails to load. Process-wide and idempotent."""
    check_version()
    stock = blocks.postprocess_update_dict
    if getattr(stock, "drops_update_marker", False):
        return

    def postprocess_update_dict(block, update_dict, postprocess=True):
        result = stock(block=block, update_dict=update_dict, postprocess=postprocess)
        props = result.get("props")
        if isinstance(props, dict):
            props.pop("__type__", None)
            if not props:
                del result["props"]
        return result

    postprocess_update_dict.drops_update_marker = True
    blocks.postprocess_update_dict = postprocess_update_dict


def limit_jobs_per_session(demo: gr.Blocks, limit: int) -> None:
    """Refuse a session's new job while it has `limit` waiting or running, so one script cannot
    fill the queue ahead of a class. Wraps the queue's `push`.

    Calls without a session (the `/call/` REST route) share one allowance per client address.
    """
    check_version()
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
                message = text("error.busy", limit=limit)  # English: a refused job carries no language
                return False, message, "queue_full"
            return await push(body, request, username)

    queue.push = limited_push


class _LazyConfigs(dict):
    """A session's `config_values` (gradio keeps them only to answer deep-link requests) built per
    component on first use instead of for all of them when the session starts."""

    def __init__(self, blocks_config, keys: list[int]):
        super().__init__()
        self._blocks_config = blocks_config
        self._keys = keys

    def __missing__(self, key: int) -> dict:
        value = self[key] = self._blocks_config.config_for_block(key, [], self._blocks_config.blocks[key])
        return value

    def items(self):
        for key in self._keys:
            if not super().__contains__(key) and key in self._blocks_config.blocks:
                self[key]  # noqa: B018 (fills the entry)
        return super().items()


class LazySessionState(state_holder.SessionState):
    """gradio's SessionState, except that it does not snapshot every component's config up front:
    that costs several ms per new session (80 components, three of them large gr.HTML views), all of
    it on the event loop inside the queue's `push`, so a class of 30 joining at once waited on it."""

    def __init__(self, blocks):
        super().__init__(SimpleNamespace(default_config=blocks.default_config, blocks={}))  # no eager configs
        keys = [k for k in self.blocks_config.blocks if k in blocks.blocks]
        self.config_values = _LazyConfigs(self.blocks_config, keys)


def lazy_session_configs() -> None:
    """New sessions (`StateHolder` makes them) are LazySessionStates; idempotent, process-wide."""
    check_version()
    state_holder.SessionState = LazySessionState
