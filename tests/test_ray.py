"""cnnattn on Ray: served answers and the batch export equal the in-process ones, faults lose no
request, nothing but the front end is reachable, and stopping the server stops every Ray process.

One local cluster for the module (cnnattn's own RayCluster: loopback, no dashboard, 2 logical
CPUs, a small object store, a temporary directory), shut down by its fixture. The two tests that
start `cnnattn serve --ray` in a subprocess come first, before that cluster exists, so at most one
cluster runs at a time. Skipped without the `serve` extra.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import psutil
import pytest
import torch
from PIL import Image

from cnnattn.explain import MapRequest
from cnnattn.image.loading import load_image
from cnnattn.payload import decode_array, weights_from_payload
from cnnattn.pipeline import Pipeline
from tests.conftest import IMAGENET_SAMPLES, _free_port

if importlib.util.find_spec("ray") is None:
    pytest.skip("Ray is not installed (pip install -r requirements.txt, or the serve extra)", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]
ATOL = 1e-5
REPLICAS = 2
SERVER_START_S = 300  # a cold `serve --ray` on 2 busy cores: imports, cluster, replicas loading the model


# Comparisons -----------------------------------------------------------------------------------


def assert_predictions_close(served: list[dict], local: list[dict]) -> None:
    assert [p["index"] for p in served] == [p["index"] for p in local]
    np.testing.assert_allclose([p["prob"] for p in served], [p["prob"] for p in local], atol=ATOL, rtol=0)
    # Raw logits are float32 sums in the tens, rounded differently by 1 replica thread and N here.
    np.testing.assert_allclose([p["logit"] for p in served], [p["logit"] for p in local], atol=ATOL, rtol=ATOL)


def assert_payloads_close(served: dict, local: dict) -> None:
    """Predictions, every head's shipped arrays (scores in the tens: relative 1e-5) and the maps the
    browser computes from them (absolute 1e-5)."""
    assert_predictions_close(served["predictions"], local["predictions"])
    assert served["photo"] == local["photo"] and served["class_index"] == local["class_index"]
    assert served["head_predictions"].keys() == local["head_predictions"].keys()
    for kind in local["head_predictions"]:
        assert_predictions_close(served["head_predictions"][kind], local["head_predictions"][kind])
    assert [h["ids"] for h in served["heads"]] == [h["ids"] for h in local["heads"]]
    for mine, theirs in zip(served["heads"], local["heads"], strict=True):
        for field in ("scores", "rows", "queries", "keys"):
            assert (field in mine) == (field in theirs)
            if field in theirs:
                a, b = decode_array(mine[field], mine["shape"]), decode_array(theirs[field], theirs["shape"])
                np.testing.assert_allclose(a, b, atol=ATOL, rtol=ATOL, err_msg=f"{theirs['kind']} {field}")
        for index in range(len(theirs["ids"])):
            for temperature in (0.5, theirs["default_temperature"]):
                np.testing.assert_allclose(
                    weights_from_payload(mine, index, temperature, (0.3, 0.6)),
                    weights_from_payload(theirs, index, temperature, (0.3, 0.6)),
                    atol=ATOL,
                    rtol=0,
                )


def assert_records_close(served: dict, local: dict) -> None:
    """Two JSON lines of `cnnattn explain`."""
    assert served["image"] == local["image"] and served["size"] == local["size"]
    assert_predictions_close(served["predictions"], local["predictions"])
    assert [m["head"] for m in served["maps"]] == [m["head"] for m in local["maps"]]
    for mine, theirs in zip(served["maps"], local["maps"], strict=True):
        assert {k: v for k, v in mine.items() if k != "weights"} == {k: v for k, v in theirs.items() if k != "weights"}
        np.testing.assert_allclose(mine["weights"], theirs["weights"], atol=ATOL, rtol=0)
    for kind in local["head_predictions"]:
        assert_predictions_close(served["head_predictions"][kind], local["head_predictions"][kind])


def sample_photos(count: int, example_photos: dict, folder: Path) -> list[Path]:
    """ImageNet samples of several shapes from ../shared; without them, distinct crops of the photos
    shipped with gradio written to `folder` (distinct bytes, so none is answered from the cache)."""
    if IMAGENET_SAMPLES.exists():
        return sorted(IMAGENET_SAMPLES.glob("*.JPEG"))[:count]
    sources = [Image.open(path).convert("RGB") for path in example_photos.values()]
    paths = []
    for index in range(count):
        source = sources[index % len(sources)]
        width, height = source.size
        cut = 0.5 + 0.5 * (index // len(sources)) / count  # keeps 50-100% of each side
        crop = source.crop((0, 0, max(32, int(width * cut)), max(32, int(height * cut))))
        paths.append(folder / f"sample-{index}.jpg")
        crop.save(paths[-1], quality=90)
    return paths


# Without a cluster -------------------------------------------------------------------------------


def test_grouped_encoding_equals_one_photo_at_a_time(explainer, example_photos):
    from cnnattn.distributed.encoding import encode_grouped

    photos = [
        load_image(path) for path in [example_photos["cheetah"], example_photos["lion"], example_photos["cheetah"]]
    ]
    inputs = [explainer.preprocessing(photo) for photo in photos]
    assert inputs[0].shape != inputs[1].shape  # two shapes: two passes, the cheetah twice in one
    grouped = encode_grouped(explainer.backbone, inputs, [p.size for p in photos], torch.device("cpu"))
    for photo, tensor, encoded in zip(photos, inputs, grouped, strict=True):
        alone = explainer.encode_inputs(tensor, photo.size)
        assert encoded.size == photo.size and encoded.features.shape == alone.features.shape
        torch.testing.assert_close(encoded.features, alone.features, atol=ATOL, rtol=ATOL)
        torch.testing.assert_close(encoded.logits, alone.logits, atol=ATOL, rtol=ATOL)
        assert encoded.stages.keys() == alone.stages.keys()
        assert encoded.features.untyped_storage().nbytes() == encoded.features.numel() * 4  # no batch riding along


def test_replica_and_actor_counts():
    from cnnattn.distributed.cluster import parse_count, split_address

    assert parse_count(None) == 1 and parse_count("3") == 3 and parse_count("1-4") == (1, 4)
    for bad in ("0", "x", "3-2"):
        with pytest.raises(ValueError, match="--replicas"):
            parse_count(bad)
    assert split_address("10.0.0.5:6379") == ("10.0.0.5", 6379)
    assert split_address("ray://head:10001") == ("head", 10001)
    assert split_address("auto") is None


def run_cli(*args: str, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cnnattn", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_without_ray_flag_ray_is_not_imported_and_its_options_need_it(example_photos, tmp_path):
    code = (
        "import sys; from cnnattn.cli import main; "
        f"code = main(['explain', {str(example_photos['lion'])!r}, '--out', {str(tmp_path / 'a.jsonl')!r}]); "
        "assert 'ray' not in sys.modules, 'ray was imported'; sys.exit(code)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    refused = run_cli("explain", str(example_photos["lion"]), "--replicas", "2", timeout=300)
    assert refused.returncode == 2 and "need --ray" in refused.stderr


@pytest.mark.parametrize("command", ["serve", "explain"])
def test_unreachable_address_is_one_sentence_within_30s(command, example_photos):
    nobody = f"127.0.0.1:{_free_port()}"
    args = ["serve", "--port", str(_free_port())] if command == "serve" else ["explain", str(example_photos["lion"])]
    start = time.monotonic()
    result = run_cli(*args, "--ray", "--address", nobody, timeout=60)
    elapsed = time.monotonic() - start
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: No Ray cluster answers at {nobody}") and last.count(". ") == 0, last
    assert elapsed < 30, f"took {elapsed:.0f} s"


# The server in its own process, with its own local cluster ---------------------------------------


def listening(pid: int) -> list[tuple[str, int]]:
    try:
        return [(c.laddr.ip, c.laddr.port) for c in psutil.Process(pid).net_connections("tcp") if c.status == "LISTEN"]
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def outside_address() -> str:
    """This machine's address as another machine would reach it (not loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        return probe.getsockname()[0]


def refused(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return False
    except OSError:
        return True


def grpc_rejects_without_token(host: str, port: int) -> bool:
    """Serve replicas' inter-deployment gRPC server binds every interface (Ray's choice); without
    Ray's token it must refuse a real method."""
    grpc = pytest.importorskip("grpc")
    channel = grpc.insecure_channel(f"{host}:{port}")
    try:
        channel.unary_unary("/ray.serve.ASGIService/HandleRequest")(b"", timeout=5)
    except grpc.RpcError as exc:
        return exc.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        channel.close()
    return False


def assert_only_loopback(pids: set[int]) -> None:
    """No Serve proxy, no dashboard; every Ray port binds 127.0.0.1 except replicas' token-guarded gRPC."""
    outside = outside_address()
    for port in (8000, 8265):  # Serve's HTTP proxy and the dashboard, on their default ports
        assert refused("127.0.0.1", port) and refused(outside, port), f"something listens on {port}"
    sockets = {}
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            title = " ".join(psutil.Process(pid).cmdline())  # Ray workers: ray::ServeReplica:cnnattn:...
            sockets |= {address: title for address in listening(pid)}
    assert sockets, "the Ray processes listen on nothing?"
    for (ip, port), title in sockets.items():
        if ip.removeprefix("::ffff:").startswith("127.") or ip == "::1":
            continue
        assert title.startswith("ray::ServeReplica"), f"{title[:80]} listens on {ip}:{port}"
        assert grpc_rejects_without_token(outside, port), f"{title[:80]} answers {outside}:{port} without a token"


@pytest.fixture(scope="module")
def ray_tmpdir():
    """Ray's files for this run (sockets need a short path), removed afterwards."""
    path = tempfile.mkdtemp(prefix="cnnattn-ray-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_server_answers_from_a_replica_exposes_nothing_else_and_stops_every_ray_process(
    explainer, example_photos, ray_tmpdir
):
    port = _free_port()
    env = dict(os.environ, RAY_TMPDIR=str(Path(ray_tmpdir) / "server"), PYTHONUNBUFFERED="1")
    log_path = Path(ray_tmpdir) / "server.log"
    with open(log_path, "w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "cnnattn", "serve", "--ray", "--replicas", "1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    ray_pids: set[int] = set()
    try:
        deadline = time.monotonic() + SERVER_START_S
        while "Running on local URL" not in log_path.read_text() and time.monotonic() < deadline:
            assert server.poll() is None, log_path.read_text()[-3000:]
            time.sleep(1)
        log = log_path.read_text()
        assert "Running on local URL" in log, log[-3000:]
        started = re.search(r"Ray processes started here: ([\d ]+)", log)
        assert started, log[-3000:]
        ray_pids = {int(pid) for pid in started.group(1).split()}
        descendants = {p.pid for p in psutil.Process(server.pid).children(recursive=True)}
        assert ray_pids <= descendants

        from gradio_client import Client, handle_file

        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        _, payload, _ = client.predict(handle_file(str(example_photos["cheetah"])), api_name="/explain")
        assert re.fullmatch(r"\w+", payload["served_by"] or ""), payload.get("served_by")
        local = Pipeline(explainer).payload(example_photos["cheetah"].read_bytes())
        assert_payloads_close(payload, local)
        assert f"encoded on replica {payload['served_by']}" in log_path.read_text()

        ray_pids |= {p.pid for p in psutil.Process(server.pid).children(recursive=True)}  # the replica too
        assert_only_loopback(ray_pids)
        assert refused(outside_address(), port)  # the front end itself listens where --host says (127.0.0.1)

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=90) == 0, log_path.read_text()[-3000:]
    finally:
        if server.poll() is None:
            server.kill()
    time.sleep(0.5)
    left = [pid for pid in ray_pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert left == [], f"Ray processes still running after SIGTERM: {left}"


# One local cluster for the rest of the module ------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(ray_tmpdir):
    from cnnattn.distributed.cluster import LocalSettings, RayCluster

    settings = LocalSettings(num_cpus=2, object_store_mb=128, temp_dir=str(Path(ray_tmpdir) / "module"))
    with RayCluster(None, settings) as running:
        yield running
    assert running.alive() == set(), "the module's Ray processes outlived the cluster"


def test_batch_export_on_ray_equals_in_process(cluster, example_photos, tmp_path):
    """Before the replicas are deployed: two actors and the reads need 1.25 of the 2 CPUs."""
    photos = sample_photos(6, example_photos, tmp_path)
    folder = tmp_path / "photos"
    folder.mkdir()
    for path in photos:
        (folder / path.name).symlink_to(path)
    (folder / "broken.jpg").write_bytes(b"not an image")
    missing = tmp_path / "missing.jpg"
    args = ["explain", str(folder), str(missing), "--query", "0.25,0.75"]
    local = run_cli(*args, "--out", str(tmp_path / "local.jsonl"))
    served = run_cli(
        *args, "--ray", "--address", cluster.gcs_address, "--replicas", "2", "--out", str(tmp_path / "ray.jsonl")
    )
    assert local.returncode == served.returncode == 1, served.stderr[-3000:]  # 1: some files were skipped
    for result in (local, served):
        assert f"skipped {folder / 'broken.jpg'}: This file is not an image" in result.stderr
        assert f"skipped {missing}: Cannot read missing.jpg" in result.stderr
        assert f"explained {len(photos)} of {len(photos) + 2} images; skipped 2" in result.stderr
    mine = [json.loads(line) for line in (tmp_path / "ray.jsonl").read_text().splitlines()]
    theirs = [json.loads(line) for line in (tmp_path / "local.jsonl").read_text().splitlines()]
    assert [r["image"] for r in mine] == [r["image"] for r in theirs] == [str(folder / p.name) for p in photos]
    for a, b in zip(mine, theirs, strict=True):
        assert_records_close(a, b)
    wrong = run_cli("explain", str(photos[0]), "--class-index", "5000", "--ray", "--address", cluster.gcs_address)
    assert wrong.returncode == 2 and wrong.stderr.strip().endswith("error: Class index 5000 is outside 0..999.")


@pytest.fixture(scope="module")
def handle(cluster):
    from cnnattn.distributed.deployment import ReplicaSettings, deploy

    return deploy({"device": "cpu"}, ReplicaSettings(replicas=REPLICAS, cpus=0.5))


def replica_ids(handle) -> set[str]:
    from cnnattn.distributed.deployment import wait_for

    return {wait_for(handle.identity.remote())["replica"] for _ in range(8)}


def test_served_payload_and_explanation_equal_in_process(explainer, handle, example_photos):
    from cnnattn.distributed.deployment import RayPipeline

    served, local = RayPipeline(explainer, handle), Pipeline(explainer)
    for path in example_photos.values():
        data = path.read_bytes()
        payload = served.payload(data)
        assert_payloads_close(payload, local.payload(data))
        assert payload["served_by"] in replica_ids(handle)
        _, mine = served.explain(data, request=MapRequest(queries=[(0.2, 0.7)]))
        _, theirs = local.explain(data, request=MapRequest(queries=[(0.2, 0.7)]))
        assert_records_close(mine.to_json("x"), theirs.to_json("x"))
    assert served.encodings.misses == len(example_photos)  # the front end caches what replicas computed
    served.payload(example_photos["lion"].read_bytes(), class_index=3)
    assert served.encodings.hits >= 1 and served.encodings.misses == len(example_photos)


def test_served_pipeline_works_from_a_thread_running_an_event_loop(explainer, handle, example_photos):
    """A notebook (or Playwright's sync API) runs an event loop in the caller's thread, where Serve
    refuses blocking waits; the synchronous pipeline still answers there."""
    import asyncio

    from cnnattn.distributed.deployment import RayPipeline

    data = example_photos["cheetah"].read_bytes()

    async def in_loop():
        return RayPipeline(explainer, handle).payload(data)

    with ThreadPoolExecutor(1) as fresh_thread:  # asyncio.run needs a thread without a loop of its own
        served = fresh_thread.submit(asyncio.run, in_loop()).result()
    assert_payloads_close(served, Pipeline(explainer).payload(data))


def test_concurrent_photos_of_mixed_shapes_are_batched_without_changing_results(
    explainer, handle, example_photos, tmp_path
):
    from cnnattn.distributed.deployment import RayPipeline

    paths = sample_photos(8, example_photos, tmp_path)
    served = RayPipeline(explainer, handle)
    with ThreadPoolExecutor(len(paths)) as pool:
        results = list(pool.map(lambda p: served.encode(p.read_bytes()), paths))
    for path, (_, photo, encoded) in zip(paths, results, strict=True):
        alone = explainer.encode(load_image(path))
        assert encoded.size == photo.size == alone.size
        # Features are float32 sums rounded differently in a batch and by another thread count
        # (seen: 1 of 112,640 values off by 1.1e-5); what people see, predictions and maps, is within 1e-5.
        torch.testing.assert_close(encoded.features, alone.features, atol=1e-4, rtol=1e-4)
        mine = explainer.explain_encoded(encoded, MapRequest(queries=[(0.5, 0.5), (0.1, 0.9)])).to_json(path.name)
        theirs = explainer.explain_encoded(alone, MapRequest(queries=[(0.5, 0.5), (0.1, 0.9)])).to_json(path.name)
        assert_records_close(mine, theirs)


def test_lesson_passes_on_replicas_equal_in_process(explainer, handle, example_photos):
    from cnnattn.distributed.deployment import RayPipeline

    served, local = RayPipeline(explainer, handle), Pipeline(explainer)
    _, photo, encoded = local.encode(example_photos["cheetah"].read_bytes())
    h, w = encoded.features.shape[-2:]
    np.testing.assert_allclose(served.gradcam(photo, 293), local.gradcam(photo, 293), atol=ATOL)
    mask = np.zeros((h, w), dtype=bool)
    mask[: h // 2, : w // 2] = True
    mine, theirs = served.occlusion(photo, mask), local.occlusion(photo, mask)
    np.testing.assert_array_equal(mine.mask, theirs.mask)
    torch.testing.assert_close(mine.encoded.logits, theirs.encoded.logits, atol=ATOL, rtol=ATOL)
    weights = np.random.default_rng(0).random((h, w))
    weights /= weights.sum()
    mine, theirs = served.deletion_curve(photo, weights, 293), local.deletion_curve(photo, weights, 293)
    np.testing.assert_allclose(mine.attention, theirs.attention, atol=ATOL)
    np.testing.assert_allclose(mine.random, theirs.random, atol=ATOL)


def test_ray_ports_bind_loopback_and_serve_has_no_proxy(cluster, handle):
    from ray import serve

    assert serve.status().proxies == {}
    assert_only_loopback(cluster.record_pids())


def replica_actors():
    import ray

    named = ray.util.list_named_actors(all_namespaces=True)
    return [a["name"] for a in named if a["name"].startswith("SERVE_REPLICA::") and "ModelReplica" in a["name"]]


def wait_for_replicas(count: int, timeout: float = 180) -> None:
    from ray import serve

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = serve.status().applications["cnnattn"]
        running = status.deployments["ModelReplica"].replica_states.get("RUNNING", 0)
        if status.status == "RUNNING" and running == count:
            return
        time.sleep(1)
    raise AssertionError(f"Serve did not get back to {count} replicas: {serve.status()}")


def test_killing_a_replica_with_requests_in_flight_loses_none(explainer, handle, example_photos, tmp_path):
    """The replica that answers first is killed at once, while its queued photos are still in flight."""
    import ray

    from cnnattn.distributed.deployment import APP_NAME, RayPipeline

    paths = sample_photos(40, example_photos, tmp_path)  # > one batch per replica, so the victim still has work queued
    served = RayPipeline(explainer, handle)
    with ThreadPoolExecutor(len(paths)) as pool:
        futures = {pool.submit(served.encode, path.read_bytes()): path for path in paths}
        key, _, _ = next(as_completed(futures)).result()
        victim = f"SERVE_REPLICA::{APP_NAME}#ModelReplica#{served.served_by[key]}"
        assert victim in replica_actors()
        ray.kill(ray.get_actor(victim, namespace="serve"), no_restart=True)
        results = {futures[future]: future.result() for future in futures}
    assert served.retries >= 1, "no request was in flight on the killed replica; the test proved nothing"
    for path, (_, _, encoded) in results.items():
        alone = explainer.encode(load_image(path))
        torch.testing.assert_close(encoded.logits, alone.logits, atol=ATOL, rtol=ATOL)
    fresh = RayPipeline(explainer, handle).payload(example_photos["lion"].read_bytes())  # keeps serving at once
    assert fresh["predictions"][0]["label"] == "lion"
    wait_for_replicas(REPLICAS)  # Serve replaces the dead replica
    assert victim not in replica_actors()
