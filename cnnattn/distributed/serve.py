"""`cnnattn serve --ray`: the same web app in this process, the model on Ray Serve replicas.

The Gradio front end stays what users see (same page, queue, per-session limits, safe loader);
its Pipeline is a `RayPipeline`, so every backbone pass is a call through a `DeploymentHandle`
(Ray's own GradioServer/GradioIngress wrappers do not support Gradio 4 and later). Serve's HTTP
proxy is off and a local cluster binds 127.0.0.1, so the front end is the only way in. Ctrl-C or
SIGTERM closes the front end, then stops every Ray process this server started.
"""

from __future__ import annotations

import argparse
import logging
import sys

from cnnattn.distributed.cluster import LocalSettings, RayCluster, check_reachable, parse_count
from cnnattn.explain import Explainer
from cnnattn.shutdown import interrupt_on_sigterm

log = logging.getLogger(__name__)


def front_end_concurrency(replicas: int | tuple[int, int]) -> int:
    """Gradio jobs of one event running at once: enough to give every replica a full batch. The in-process
    app runs one (cnnattn.webapp.launch.LOCAL_CONCURRENCY), as one model in one process should; here the
    front end only waits on the replicas, so one job at a time would leave all but one idle. Events with
    a limit of their own keep it (the Explore tab's answers run 4 at a time either way)."""
    from cnnattn.distributed.deployment import MAX_BATCH_SIZE

    most = replicas if isinstance(replicas, int) else replicas[1]
    return most * MAX_BATCH_SIZE


def check_fits(cluster: RayCluster, replicas: int | tuple[int, int], cpus: float, gpu: bool) -> None:
    """On a local cluster, refuse replicas that could never be placed (Serve would wait for them forever)."""
    import ray

    resources = ray.cluster_resources()
    fewest = replicas if isinstance(replicas, int) else replicas[0]
    if gpu and resources.get("GPU", 0) < fewest:
        raise ValueError(f"{fewest} GPU replicas need {fewest} GPUs; this Ray cluster has {resources.get('GPU', 0):g}.")
    if cluster.started_local and fewest * cpus > resources.get("CPU", 0):
        raise ValueError(
            f"{fewest} replicas of {cpus:g} CPU do not fit the local cluster's {resources.get('CPU', 0):g} CPUs; "
            "use fewer --replicas."
        )


def run(args: argparse.Namespace, settings: LocalSettings | None = None) -> int:
    """Serve the web app with the model on Ray until Ctrl-C or SIGTERM; `cnnattn serve --ray` calls this."""
    if args.address is not None:
        check_reachable(args.address)  # first: a wrong address fails in seconds, before gradio and the model load
    from cnnattn.webapp import app, memory
    from cnnattn.webapp.launch import Listen, launch

    memory.limit_allocator()  # first, before Ray, the model or gradio start a thread (launch() repeats it)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s cnnattn: %(message)s"))
    logging.getLogger("cnnattn").addHandler(handler)
    logging.getLogger("cnnattn").setLevel(logging.INFO)

    replicas = parse_count(args.replicas)
    gpu = None if args.device == "auto" else args.device != "cpu"
    load_options = dict(backbone=args.backbone, weights=args.weights)
    if args.checkpoints:
        load_options["checkpoint_dir"] = args.checkpoints
    # The front end keeps the heads (maps from cached features, payloads) on its CPU; it runs no backbone pass.
    explainer = Explainer.load(device="cpu", **load_options)
    try:
        with RayCluster(args.address, settings) as cluster, interrupt_on_sigterm():
            from cnnattn.distributed.deployment import RayPipeline, ReplicaSettings, deploy, running_handle, undeploy

            # Front ends joining one cluster share one deployment: the first deploys it, the others reuse it.
            handle = None if cluster.started_local else running_handle()
            deployed_here = handle is None
            if deployed_here:
                replica_settings = ReplicaSettings(replicas, gpu=gpu)
                check_fits(cluster, replicas, replica_settings.cpus, bool(gpu))
                handle = deploy(load_options | {"device": args.device}, replica_settings)
            else:
                log.info("using the model deployment already running on %s (--replicas is its own)", args.address)
            try:
                log.info("Ray processes started here: %s", " ".join(map(str, sorted(cluster.record_pids()))) or "none")
                demo = app.build_app(RayPipeline(explainer, handle))
                launch(demo, Listen.from_args(args), front_end_concurrency(replicas))  # blocks until Ctrl-C or SIGTERM
            finally:
                if deployed_here and not cluster.started_local:
                    undeploy()  # a joined cluster keeps running, without the replicas this server deployed
    except KeyboardInterrupt:
        pass
    log.info("stopped")
    return 0
