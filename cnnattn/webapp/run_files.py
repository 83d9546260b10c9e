"""Every file a server run writes (gradio's copies of uploads, frozen webcam frames, downloads, the example
photos) lives in one folder of this run, removed when the run stops: on Ctrl-C, on SIGTERM (what systemd,
docker and Kubernetes send) and at normal exit; a run stopped by SIGKILL leaves its folder to the next
start, which removes every folder whose process is gone. A restarted server therefore serves nothing of the
previous run (docs/PRIVACY.md). Imports no gradio: `use_for_gradio` must run before gradio is imported.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "cnnattn-run-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def sweep_stopped_runs(parent: Path | None = None) -> list[Path]:
    """Remove the folders of runs whose process no longer exists (a SIGKILL, a power cut); returns them."""
    removed = []
    for folder in Path(parent or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        pid = folder.name.removeprefix(PREFIX).partition("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@functools.cache
def run_folder() -> Path:
    """This process's folder (created on first use, after sweeping stopped runs), removed at exit."""
    sweep_stopped_runs()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def subfolder(name: str) -> Path:
    path = run_folder() / name
    path.mkdir(exist_ok=True)
    return path


def use_for_gradio() -> None:
    """Point gradio's upload and output cache into this run's folder. Gradio reads GRADIO_TEMP_DIR when it is
    imported, so the entry points call this first; a value set by the operator is kept."""
    os.environ.setdefault("GRADIO_TEMP_DIR", str(subfolder("gradio")))
