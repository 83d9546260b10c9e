"""One adapter from library errors to translated `gr.Error` messages, applied to every handler."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import gradio as gr
import torch

from cnnattn.errors import error_message
from cnnattn.i18n import ENGLISH, languages, text


def _language(bound: inspect.BoundArguments) -> str:
    """The handler's `language` argument, or its settings object's, or English."""
    for value in bound.arguments.values():
        language = getattr(value, "language", None)
        if isinstance(language, str):
            return language if language in languages() else ENGLISH
    language = bound.arguments.get("language")
    return language if language in languages() else ENGLISH


def user_errors(handler: Callable) -> Callable:
    """Wrap a gradio handler: a UserError (a ValueError), any other ValueError and a CUDA out-of-memory
    become `gr.Error` sentences in the caller's language; the wrapped function keeps the handler's
    signature (gradio reads it for the public API's parameter names and defaults)."""
    signature = inspect.signature(handler)

    @functools.wraps(handler)
    def wrapped(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except torch.cuda.OutOfMemoryError as exc:
            torch.cuda.empty_cache()  # transient on a shared GPU: free the cache and keep serving
            raise gr.Error(text("error.out_of_memory", _language(signature.bind_partial(*args, **kwargs)))) from exc
        except ValueError as exc:  # a UserError's key is worded in the caller's language
            raise gr.Error(error_message(exc, _language(signature.bind_partial(*args, **kwargs)))) from exc

    return wrapped


def as_notice(handler: Callable, cleared: tuple) -> Callable:
    """The page's photo paths (upload, example, webcam frame): a refused photo becomes one sentence in the
    notice (the first output) and `cleared` for the other outputs, so gradio marks no component with an
    error and the previous answer does not stay beside the sentence (CLEAR_REFUSED then clears the photo
    input in the browser). Public endpoints keep raising, for scripts."""

    def noticed(*args):
        try:
            return ("", *handler(*args))
        except gr.Error as exc:
            return (exc.message, *cleared)

    noticed.__name__ = noticed.__qualname__ = handler.__name__  # the event's name in gradio's config
    return noticed


# js of a browser-only step after an upload's answer: a refused file leaves the photo input (it would show a
# broken image). Not a server output of the upload: gradio 6.31 then rebuilt the input with its first label.
CLEAR_REFUSED = "(notice) => (notice ? null : undefined)"
