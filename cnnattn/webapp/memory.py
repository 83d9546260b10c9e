"""The server's memory stays flat (issue 10): glibc's allocator is told, before the server's threads
start, to keep few arenas and fixed thresholds, and a background thread hands freed pages back to the
system every few seconds.

Why: every answer allocates and frees many buffers of 0.1-30 MB (decoded photos, feature maps, the
payload's arrays, PNGs of the lesson's checks) from gradio's worker threads. With glibc's defaults each
thread that meets a locked arena gets a new one (up to 8 per core) and a heap only shrinks from its top,
so freed memory stayed resident in many heaps and RSS climbed in steps (docs/SOAK.md, 1.35x over 2000
requests). Two arenas and `malloc_trim(0)` every 10 s (which also returns free pages in the middle of a
heap) keep it flat. The thresholds stay where glibc's own adjustment would take them (32 MB mmap, 64 MB
trim), fixed: a low mmap threshold (1 MiB was tried) maps and faults in every feature map of a backbone
pass afresh, which made a new photo's pass 2-2.5x slower (bench/allocator.py). Nothing here changes what
the app computes; on a C library other than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import threading
import time

# mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
ARENAS = 2  # one for the main thread, one shared by gradio's workers
MMAP_THRESHOLD = 32 << 20  # buffers of 32 MiB and more are mapped alone and unmapped when freed
TRIM_THRESHOLD = 64 << 20  # free memory above this at a heap's top goes back at once
TRIM_EVERY_S = 10.0  # malloc_trim(0) also returns free pages inside the heaps, not only at the top

_started = threading.Event()


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def limit_allocator() -> bool:
    """Set the arena limit and the fixed mmap and trim thresholds; call before the server's threads start
    (an arena already made is kept). True when glibc took all three."""
    libc = _glibc()
    if libc is None:
        return False
    settings = ((M_ARENA_MAX, ARENAS), (M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return all(libc.mallopt(option, value) == 1 for option, value in settings)


def trim() -> bool:
    """Give the pages free in every arena back to the system now; True when some were."""
    libc = _glibc()
    return bool(libc and libc.malloc_trim(0))


def start_trimming(every_s: float = TRIM_EVERY_S) -> bool:
    """Trim every `every_s` seconds on one daemon thread for the life of the process (started once)."""
    if _glibc() is None or _started.is_set():
        return False
    _started.set()

    def loop() -> None:
        while True:
            time.sleep(every_s)
            trim()

    threading.Thread(target=loop, name="cnnattn-malloc-trim", daemon=True).start()
    return True
