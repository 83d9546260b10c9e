"""Nothing of a visitor's photo outlives the run that received it (issue 21, item 4 in part): every file the
server writes lives in its run's folder, gone after SIGTERM (what systemd, docker and Kubernetes send) and,
after a SIGKILL, at the next start. At e38ecb9 SIGTERM deleted nothing and a restarted server still served
the previous run's uploads. The real `python app.py`, as a user starts it, in subprocesses.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from gradio_client import Client, handle_file

from cnnattn.webapp import run_files
from tests.conftest import _free_port

ROOT = Path(__file__).resolve().parents[1]
START_S = 180


def start_app(log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_TEMP_DIR"}  # the run's own, as a user gets it
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-u", "app.py", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_S
    while "Running on local URL" not in log_path.read_text():
        assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
        time.sleep(0.5)
    return server, f"http://127.0.0.1:{port}/"


def run_folder_of(pid: int) -> Path:
    (folder,) = Path(tempfile.gettempdir()).glob(f"{run_files.PREFIX}{pid}-*")
    return folder


def visit(url: str, photo: Path) -> list[str]:
    """An upload, an answer and a download, as a visitor's page makes them; the files the server returned."""
    client = Client(url, verbose=False)
    predictions, *_ = client.predict(handle_file(str(photo)), api_name="/explain")
    assert predictions["label"] == "cheetah"
    return client.predict(handle_file(str(photo)), "{}", api_name="/explain_download")


def test_sigterm_removes_every_file_of_the_run_and_a_killed_runs_files_go_at_the_next_start(example_photos, tmp_path):
    server, url = start_app(tmp_path / "first.log")
    try:
        folder = run_folder_of(server.pid)
        visit(url, example_photos["cheetah"])
        written = [p for p in folder.rglob("*") if p.is_file()]
        assert any(p.suffix == ".jpg" and "gradio" in p.parts for p in written), written  # the upload's copy
        assert any("outputs" in p.parts for p in written), written  # the download's files
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, (tmp_path / "first.log").read_text()[-3000:]
    finally:
        if server.poll() is None:
            server.kill()
    assert not folder.exists()

    killed, url = start_app(tmp_path / "killed.log")
    downloaded = visit(url, example_photos["cheetah"])
    left = run_folder_of(killed.pid)
    killed.kill()  # SIGKILL: no cleanup can run
    killed.wait(timeout=30)
    assert left.exists()
    server, url = start_app(tmp_path / "next.log")
    try:
        assert not left.exists()  # the next start removed the killed run's folder, uploads and all
        for path in downloaded:  # the killed run's files, asked of the new server by their old addresses
            assert httpx.get(f"{url}gradio_api/file={path}").status_code in (403, 404)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
