"""The server's allocator settings (cnnattn/webapp/memory.py) that keep the soak's memory flat: glibc takes
them, the trimming thread starts once per process, and trimming hands freed pages back."""

import platform
import threading

import pytest

from cnnattn.webapp import memory

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's allocator only"
)


def test_glibc_takes_the_arena_limit_and_fixed_thresholds():
    assert memory.limit_allocator()


def test_trimming_starts_once_per_process():
    memory.start_trimming()  # the app fixture may have started it already
    assert not memory.start_trimming()
    threads = [t for t in threading.enumerate() if t.name == "cnnattn-malloc-trim"]
    assert len(threads) == 1 and threads[0].daemon


def test_trim_returns_freed_pages():
    blocks = [bytearray(64 * 1024) for _ in range(2000)]  # ~128 MB below the mmap threshold: heap memory
    del blocks[::2]  # holes in the middle of the heap, which only malloc_trim(0) can give back
    assert memory.trim()
