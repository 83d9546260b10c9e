"""A clean stop on SIGTERM for the long-running commands (the web app, its Ray front end, a batch on Ray)."""

from __future__ import annotations

import contextlib
import signal
import threading


@contextlib.contextmanager
def interrupt_on_sigterm():
    """SIGTERM (a service manager, `kill`) behaves like Ctrl-C, so the same cleanup runs; once.
    Enter it after `ray.init`, which installs a SIGTERM handler of its own."""

    def interrupt(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup short
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; its own handling applies
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
