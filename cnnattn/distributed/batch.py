"""`cnnattn explain PATH... --ray`: the batch export on Ray Data.

Files are read as bytes (`read_binary_files`) and decoded by cnnattn's own safe loader inside
the actors: Ray's `read_images` would bypass its checks and abort the whole job on one bad file.
An actor pool (`map_batches` with a callable class, one explainer per actor, GPU actors when the
cluster has GPUs) encodes each batch by input shape and writes each photo's JSON line exactly as
the in-process CLI does; Ray Data keeps the input order, so the output file is the same. Files
that cannot be read at all are named and skipped before Ray sees them; undecodable ones by the
actors, with the loader's own sentence.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cnnattn.distributed.cluster import RayCluster, check_reachable, parse_count
from cnnattn.distributed.encoding import encode_grouped
from cnnattn.explain import Explainer, resolve_device
from cnnattn.image.loading import MAX_FILE_BYTES, ImageRejected, load_image, photo_size
from cnnattn.shutdown import interrupt_on_sigterm

log = logging.getLogger(__name__)

PHOTOS_PER_BATCH = 4  # rows an actor gets at once: enough to group shapes, small enough to spread work
CPU_PER_ACTOR = 0.5
CPU_PER_READ = 0.25  # reading bytes is I/O; the actors need the cores


@dataclass(frozen=True)
class ActorSettings:
    actors: int | tuple[int, int] = 1  # size of the actor pool, or its (min, max) bounds
    cpus: float = CPU_PER_ACTOR  # per CPU actor; a GPU actor asks for one GPU instead
    gpu: bool | None = None  # None: one GPU per actor when the cluster has GPUs
    photos_per_batch: int = PHOTOS_PER_BATCH

    @classmethod
    def for_replicas(cls, replicas: str | None) -> ActorSettings:
        """The pool `--replicas` asks for (N or MIN-MAX; None: one actor); ValueError names the option."""
        return cls(actors=parse_count(replicas))


class ExplainPhotos:
    """Ray Data callable class: bytes in, the CLI's JSON lines (or the loader's error) out."""

    def __init__(self, load_options: dict, explain_options: dict, names: dict[str, str], threads: int = 1):
        torch.set_num_threads(threads)
        options = dict(load_options)
        self.device = resolve_device(options.pop("device", "auto"))
        self.explainer = Explainer.load(device=str(self.device), **options)
        self.options = explain_options
        self.names = names  # Ray's path -> the path as the user gave it (what the JSON line says)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        names = [self.names.get(str(p), str(p)) for p in batch["path"]]
        lines, errors, fatal = [""] * len(names), [""] * len(names), [False] * len(names)
        photos = {}
        for i, data in enumerate(batch["bytes"]):
            try:
                photos[i] = load_image(bytes(data))
            except ImageRejected as exc:
                errors[i] = str(exc)
        order = list(photos)
        preprocess = self.explainer.preprocessing
        encoded = encode_grouped(
            self.explainer.backbone,
            [preprocess(photos[i]) for i in order],
            [photo_size(photos[i]) for i in order],
            self.device,
        )
        for i, photo_encoded in zip(order, encoded, strict=True):
            try:
                explanation = self.explainer.explain_encoded(photo_encoded, **self.options)
            except ValueError as exc:  # a --class-index or --layer the model does not have: stops the run
                errors[i], fatal[i] = str(exc), True
                continue
            lines[i] = json.dumps(explanation.to_json(names[i]), ensure_ascii=False)
        return {
            "name": np.array(names, dtype=object),
            "line": np.array(lines, dtype=object),
            "error": np.array(errors, dtype=object),
            "fatal": np.array(fatal),
        }


def unreadable(path: Path) -> str | None:
    """The loader's own sentence for a file Ray could not read as bytes (missing, not a regular
    file, too large, no permission); None for files Ray can read."""
    try:
        info = path.stat()
        readable = path.is_file() and info.st_size <= MAX_FILE_BYTES and os.access(path, os.R_OK)
    except OSError:
        readable = False
    if readable:
        return None
    try:
        load_image(path)
    except ImageRejected as exc:
        return str(exc)
    return None


def ray_records(
    files: list[Path],
    load_options: dict,
    explain_options: dict,
    cluster: RayCluster | None = None,
    settings: ActorSettings | None = None,
    progress: bool = True,
) -> Iterator[tuple[Path, dict | str]]:
    """(path, JSON record or error sentence) per file, in the order of `files`, explained on Ray.

    Connects `cluster` (default: a new local one) while iterating and stops what it started. An
    unreachable address fails here, before anything runs."""
    cluster = cluster or RayCluster()
    if cluster.address is not None:
        check_reachable(cluster.address)
    return _records_on_ray(files, cluster, load_options, explain_options, settings or ActorSettings(), progress)


def _records_on_ray(files, cluster: RayCluster, load_options, explain_options, settings, progress):
    from tqdm import tqdm

    errors = [unreadable(path) for path in files]  # files Ray could not read are skipped before it starts
    readable = [path for path, error in zip(files, errors, strict=True) if error is None]
    names = {os.path.abspath(path): str(path) for path in readable}
    with cluster, interrupt_on_sigterm():
        rows = _explained_rows(readable, names, load_options, explain_options, settings) if readable else iter(())
        with tqdm(total=len(files), unit="img", disable=not progress or len(files) < 2, file=sys.stderr) as bar:
            for path, error in zip(files, errors, strict=True):
                if error is None:
                    row = next(rows)  # Ray Data keeps the order of `readable`
                    assert row["name"] == str(path), (row["name"], path)
                    if row["fatal"]:
                        raise ValueError(row["error"])  # as without --ray: the option is wrong, not the photo
                    yield path, row["error"] or json.loads(row["line"])
                else:
                    yield path, error
                bar.update()


def _explained_rows(files, names, load_options, explain_options, settings: ActorSettings) -> Iterator[dict]:
    import ray
    import ray.data

    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its notes would interleave with the CLI's bar
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # rows come out in the order of `files`
    context.enable_progress_bars = False  # the CLI shows its own bar, as without --ray
    context.print_on_execution_start = False
    gpu = ray.cluster_resources().get("GPU", 0) > 0 if settings.gpu is None else settings.gpu
    resources = {"num_gpus": 1} if gpu else {"num_cpus": settings.cpus}
    check_fits(settings, gpu)
    threads = 1 if gpu else max(1, int(settings.cpus))
    dataset = ray.data.read_binary_files([str(p) for p in files], include_paths=True, num_cpus=CPU_PER_READ)
    dataset = dataset.map_batches(
        ExplainPhotos,
        fn_constructor_kwargs=dict(
            load_options=load_options, explain_options=explain_options, names=names, threads=threads
        ),
        batch_size=settings.photos_per_batch,
        batch_format="numpy",
        compute=actor_pool(settings.actors),
        **resources,
    )
    yield from dataset.iter_rows()


def check_fits(settings: ActorSettings, gpu: bool) -> None:
    """Refuse a pool that no cluster of this size could hold; warn when it must wait for others' work
    (model replicas, say) to free resources, since Ray Data then waits without a word."""
    import ray

    fewest = settings.actors if isinstance(settings.actors, int) else settings.actors[0]
    kind, each = ("GPU", 1.0) if gpu else ("CPU", settings.cpus)
    need = fewest * each + (0 if gpu else CPU_PER_READ)
    total, free = ray.cluster_resources().get(kind, 0), ray.available_resources().get(kind, 0)
    if need > total:
        raise ValueError(
            f"{fewest} batch actors need {need:g} {kind}s with reading; this Ray cluster has {total:g}: "
            "use fewer --replicas."
        )
    if need > free:
        log.warning(
            "%d batch actors need %g %ss with reading and %g are free: waiting for others' work to finish",
            fewest,
            need,
            kind,
            free,
        )


def actor_pool(actors: int | tuple[int, int]):
    import ray.data

    if isinstance(actors, int):
        return ray.data.ActorPoolStrategy(size=actors)
    return ray.data.ActorPoolStrategy(min_size=actors[0], max_size=actors[1])
