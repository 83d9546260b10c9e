"""The model as a Ray Serve deployment, and the web app's Pipeline that calls it through a handle.

Replicas hold only the backbone's work: encoding (batched by exact input shape, so every result
equals a batch of one), Grad-CAM, occlusion and deletion curves. They are stateless: any replica
answers any request, so a request whose replica dies is simply sent again.

The front end (`RayPipeline`) keeps what is cheap or per user: the safe loader (untrusted bytes
never leave the front end; replicas receive preprocessed tensors), the single-flight LRU of encoded
photos (the features come back from the replica and are cached in the front end's memory, so a
class sending one photo costs one backbone pass, and temperature, class or query changes cost
none), the heads' maps and the payload. Import this module only inside a `RayCluster` block.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import ray
import torch
from PIL import Image
from ray import serve
from ray.serve.handle import DeploymentHandle

from cnnattn.analysis.faithfulness import DeletionCurve, deletion_curve
from cnnattn.analysis.gradcam import gradcam_grid
from cnnattn.analysis.occlusion import Occlusion, occlusion
from cnnattn.backbones import Encoded
from cnnattn.distributed import ModelUnavailable
from cnnattn.distributed.encoding import cpu_encoded, encode_grouped
from cnnattn.explain import Explainer, resolve_device
from cnnattn.image.loading import load_image, photo_size
from cnnattn.pipeline import Pipeline, SingleFlightCache, content_key

log = logging.getLogger(__name__)
replica_log = logging.getLogger("ray.serve")  # Serve writes it to each replica's log file

APP_NAME = "cnnattn"
MAX_BATCH_SIZE = 8  # photos one replica encodes in one call (grouped by input shape inside)
BATCH_WAIT_S = 0.01  # how long a replica waits for a batch to fill: small next to one pass (~150 ms on CPU)
CPU_PER_REPLICA = 0.5  # logical CPUs a CPU replica asks for: two replicas and the front end share 2 cores
REQUEST_TIMEOUT_S = 120.0  # one call's longest wait, queueing included
RETRY_FOR_S = 30.0  # how long the front end keeps resending a call whose replica died
# Errors that mean "this replica (or every replica) is gone or full for now", never "this request is
# wrong": the call is sent again. The model's own errors (ValueError, ImageRejected) are not retried.
RETRYABLE = (
    ray.exceptions.RayActorError,
    ray.exceptions.ActorUnavailableError,
    serve.exceptions.BackPressureError,
    serve.exceptions.ReplicaUnavailableError,
    serve.exceptions.DeploymentUnavailableError,
)


def wait_for(response):
    """A Serve response's result. From a thread that runs an event loop (Jupyter, Playwright's sync
    API) Serve refuses a blocking wait, so there it is waited for on a helper thread instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return response.result(timeout_s=REQUEST_TIMEOUT_S)
    with ThreadPoolExecutor(1) as helper:
        return helper.submit(response.result, timeout_s=REQUEST_TIMEOUT_S).result()


@serve.deployment(name="ModelReplica", max_ongoing_requests=2 * MAX_BATCH_SIZE)
class ModelReplica:
    """One copy of the backbone: every backbone pass a front end needs, on tensors the front end prepared."""

    def __init__(self, load_options: dict, threads: int = 1):
        torch.set_num_threads(threads)  # on a CPU fraction more threads only wait for each other
        options = dict(load_options)
        self.device = resolve_device(options.pop("device", "auto"))
        self.explainer = Explainer.load(device=str(self.device), **options)
        self.backbone = self.explainer.backbone
        self.replica_id = serve.get_replica_context().replica_id.unique_id
        self.lock = threading.Lock()  # one backbone pass at a time: they would only compete for the cores
        replica_log.info("replica %s ready on %s", self.replica_id, self.device)

    @serve.batch(max_batch_size=MAX_BATCH_SIZE, batch_wait_timeout_s=BATCH_WAIT_S)
    async def encode(
        self, inputs: list[torch.Tensor], sizes: list[tuple[int, int]]
    ) -> list[tuple[Encoded, str, float]]:
        """Each caller sends one photo (3, H, W) and its (width, height); gets (Encoded, replica id,
        seconds the replica spent on the batch it was in), the last two for logs and benchmarks."""
        encoded, seconds = await asyncio.to_thread(self._encode, inputs, sizes)
        return [(e, self.replica_id, seconds) for e in encoded]

    def _encode(self, inputs: list[torch.Tensor], sizes: list[tuple[int, int]]) -> tuple[list[Encoded], float]:
        with self.lock:
            start = time.perf_counter()
            encoded = encode_grouped(self.backbone, inputs, sizes, self.device)
            seconds = time.perf_counter() - start
        shapes = sorted({tuple(t.shape[1:]) for t in inputs})
        replica_log.info(
            "replica %s encoded %d photos (shapes %s) in %.0f ms", self.replica_id, len(inputs), shapes, 1000 * seconds
        )
        return encoded, seconds

    def gradcam(self, inputs: torch.Tensor, class_index: int, layer: str | None = None) -> np.ndarray:
        with self.lock:
            return gradcam_grid(self.backbone, inputs.to(self.device), class_index, layer)

    def occlusion(self, inputs: torch.Tensor, mask: np.ndarray, size: tuple[int, int]) -> Occlusion:
        with self.lock:
            result = occlusion(self.backbone, inputs.to(self.device), mask, size)
        return Occlusion(result.mask, cpu_encoded(result.encoded))

    def deletion_curve(self, inputs: torch.Tensor, weights: np.ndarray, class_index: int) -> DeletionCurve:
        with self.lock:
            return deletion_curve(self.backbone, inputs.to(self.device), weights, class_index)

    def identity(self) -> dict:
        import os

        return {"replica": self.replica_id, "pid": os.getpid(), "device": str(self.device)}


@dataclass(frozen=True)
class ReplicaSettings:
    """How many replicas and what each asks Ray for."""

    replicas: int | tuple[int, int] = 1  # a fixed count, or (min, max) for Serve's autoscaling
    cpus: float = CPU_PER_REPLICA  # per CPU replica; a GPU replica asks for one GPU instead
    gpu: bool | None = None  # None: one GPU per replica when the cluster has GPUs

    def actor_options(self, cluster_gpus: float) -> dict:
        gpu = cluster_gpus > 0 if self.gpu is None else self.gpu
        return {"num_gpus": 1, "num_cpus": self.cpus} if gpu else {"num_cpus": self.cpus}

    def scaling(self) -> dict:
        if isinstance(self.replicas, int):
            return {"num_replicas": self.replicas}
        low, high = self.replicas
        config = {"min_replicas": low, "max_replicas": high, "target_ongoing_requests": MAX_BATCH_SIZE // 2}
        return {"autoscaling_config": config}


def deploy(load_options: dict, settings: ReplicaSettings | None = None) -> DeploymentHandle:
    """Start Serve without its HTTP proxy and run the model deployment; returns once replicas are ready.

    The proxy stays off: HTTP requests to it would bypass the web app's queue, its per-session
    limits and the safe loader. The only way in is a `DeploymentHandle` from a Ray driver."""
    settings = settings or ReplicaSettings()
    options = settings.actor_options(ray.cluster_resources().get("GPU", 0))
    threads = max(1, int(options["num_cpus"])) if not options.get("num_gpus") else 1
    serve.start(proxy_location="Disabled")
    deployment = ModelReplica.options(ray_actor_options=options, **settings.scaling())
    handle = serve.run(deployment.bind(load_options, threads), name=APP_NAME, route_prefix=None)
    log.info("deployed %s with %s, each %s", APP_NAME, settings.scaling(), options)
    return handle


def running_handle() -> DeploymentHandle | None:
    """A handle to the model deployment another front end already runs on this cluster, if any."""
    serve.start(proxy_location="Disabled")  # connects to a running Serve, whatever its own settings
    status = serve.status().applications.get(APP_NAME)
    return serve.get_app_handle(APP_NAME) if status is not None and status.status == "RUNNING" else None


def undeploy() -> None:
    """Remove the app's replicas (joined clusters keep running; a local one is stopped by RayCluster)."""
    serve.delete(APP_NAME)


class RayPipeline(Pipeline):
    """The web app's Pipeline with every backbone pass on a Serve replica.

    Cached encodings live here, in the front end's process (`self.encodings`), with the id of the
    replica that computed each (`served_by`, also in the payload's `served_by` debug field)."""

    def __init__(
        self, explainer: Explainer, handle: DeploymentHandle, capacity: int = 32, retry_for_s: float = RETRY_FOR_S
    ):
        super().__init__(explainer, capacity)
        self.handle = handle
        self.retry_for_s = retry_for_s
        self.served_by: dict[str, str] = {}  # cache key -> replica id that encoded it
        self.retries = 0  # calls sent again after a replica failed (for tests and benchmarks)

    def call(self, method: str, *args):
        """`handle.method.remote(*args)`, sent again (with backoff) while replicas are gone or full."""
        deadline = time.monotonic() + self.retry_for_s
        delay = 0.1
        while True:
            try:
                return wait_for(getattr(self.handle, method).remote(*args))
            except RETRYABLE as exc:
                if time.monotonic() + delay > deadline:
                    raise ModelUnavailable() from exc
                self.retries += 1
                log.warning("%s failed on a replica (%s); sending it again", method, type(exc).__name__)
                time.sleep(delay)
                delay = min(2 * delay, 2.0)

    def encode(self, data: bytes, cache: SingleFlightCache | None = None) -> tuple[str, Image.Image, Encoded]:
        key = content_key(data)

        def create() -> tuple[Image.Image, Encoded]:
            photo = load_image(data)  # untrusted bytes are decoded here, never on a replica
            start = time.perf_counter()
            encoded, replica, seconds = self.call("encode", self.explainer.preprocessing(photo), photo_size(photo))
            self._remember(key, replica)
            elapsed_ms = 1000 * (time.perf_counter() - start)
            log.info(
                "photo %s encoded on replica %s in %.0f ms (%.0f in the replica)",
                key[:12],
                replica,
                elapsed_ms,
                1000 * seconds,
            )
            return photo, encoded

        return (key, *(self.encodings if cache is None else cache).get_or_create(key, create))

    def _remember(self, key: str, replica: str) -> None:
        self.served_by[key] = replica
        if len(self.served_by) > 2 * self.encodings.capacity:
            cached = {k: v for k, v in self.served_by.items() if k in self.encodings or k in self.frames}
            self.served_by = cached | {key: replica}

    def payload(self, data: bytes, **options) -> dict:
        payload = super().payload(data, **options)
        return payload | {"served_by": self.served_by.get(payload["key"])}

    def inputs(self, photo: Image.Image) -> torch.Tensor:
        return self.explainer.preprocessing(photo)[None]  # (1, 3, H, W) on the CPU; the replica moves it

    def gradcam(self, photo: Image.Image, class_index: int, layer: str | None = None) -> np.ndarray:
        return self.call("gradcam", self.inputs(photo), class_index, layer)

    def occlusion(self, photo: Image.Image, mask: np.ndarray) -> Occlusion:
        return self.call("occlusion", self.inputs(photo), np.asarray(mask), photo.size)

    def deletion_curve(self, photo: Image.Image, weights: np.ndarray, class_index: int) -> DeletionCurve:
        return self.call("deletion_curve", self.inputs(photo), np.asarray(weights), class_index)
