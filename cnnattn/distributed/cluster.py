"""Start a local Ray cluster (or join one) for cnnattn, and stop every Ray process it started.

A local cluster is private to this machine: Ray takes the loopback address as the node's IP, so
the GCS, raylet, object manager, agents and metrics ports all bind 127.0.0.1; the dashboard is
off; Ray's token authentication (on by default for local clusters in Ray 2.60) guards the rest. Joining an
existing cluster (`--address`) uses that cluster's own settings (docs/DEPLOYMENT.md).

`ray` is imported only inside `RayCluster.start`, after the environment that shapes the local
node is set: set before the first `import ray` of the process, or it has no effect.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

# On Linux, "0" makes Ray use the loopback IP as the node IP (its macOS/Windows default), so every
# port of a local cluster binds 127.0.0.1 (Serve replicas' gRPC port excepted: Ray binds it to every
# interface, token-guarded). Set when starting a local cluster or joining one at a loopback address.
LOOPBACK_NODE_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
QUIET_ENV = {"RAY_USAGE_STATS_ENABLED": "0"}  # no usage report to a server this machine cannot reach
CONNECT_TIMEOUT_S = 5.0  # an address that does not accept a TCP connection in this time is unreachable
STOP_TIMEOUT_S = 20.0


class ClusterUnreachable(ValueError):
    """No Ray cluster answers at the given address; the message is one sentence."""


@dataclass(frozen=True)
class LocalSettings:
    """How big a local cluster is: small, so it shares 2 cores with the front end."""

    num_cpus: float | None = None  # logical CPUs Ray may hand out (default: the machine's cores)
    object_store_mb: int = 256  # shared memory for tensors in flight; Ray's minimum is 75
    temp_dir: str | None = None  # session files and sockets (default: Ray's /tmp/ray)


def parse_count(text: str | None, option: str = "--replicas") -> int | tuple[int, int]:
    """`2` (a fixed count) or `1-4` (autoscaling bounds) of replicas or actors; None means 1."""
    if text is None:
        return 1
    low, sep, high = str(text).partition("-")
    try:
        bounds = (int(low), int(high)) if sep else (int(low), int(low))
    except ValueError as exc:
        raise ValueError(f"{option} takes N or MIN-MAX such as 2 or 1-4, not {text!r}.") from exc
    if not 1 <= bounds[0] <= bounds[1]:
        raise ValueError(f"{option} {text}: need 1 <= MIN <= MAX.")
    return bounds if sep else bounds[0]


def split_address(address: str) -> tuple[str, int] | None:
    """(host, port) of a GCS address such as 10.0.0.5:6379 or ray://host:10001; None for `auto`."""
    bare = address.removeprefix("ray://")
    host, sep, port = bare.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """A TCP connection to the address's port, so a wrong address fails in seconds, not minutes."""
    target = split_address(address)
    if target is None:
        return  # `auto`: Ray looks for a cluster started on this machine and says so itself
    try:
        with socket.create_connection(target, timeout=timeout):
            pass
    except OSError as exc:
        raise ClusterUnreachable(
            f"No Ray cluster answers at {address} ({exc.strerror or exc}); start one there with "
            "`ray start --head` or leave out --address to start a local one."
        ) from exc


def is_loopback(address: str) -> bool:
    target = split_address(address)
    return target is not None and (target[0].startswith("127.") or target[0] in ("localhost", "::1"))


class RayCluster:
    """`with RayCluster(address) as cluster:` connects this process to Ray for the block.

    Without an address it starts a local cluster and, on exit, stops it and every process it
    started (`pids`, recorded while running), killing by PID whatever outlives `ray.shutdown`.
    With an address it only connects and disconnects; the cluster keeps running.
    """

    def __init__(self, address: str | None = None, settings: LocalSettings | None = None):
        self.address = address
        self.settings = settings or LocalSettings()
        self.gcs_address: str | None = None
        self.started_local = False
        self._children_before: set[int] = set()
        self.pids: set[int] = set()  # Ray processes this cluster started (local clusters only)

    def __enter__(self) -> RayCluster:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        for name, value in QUIET_ENV.items():
            os.environ.setdefault(name, value)
        if self.address is not None:
            check_reachable(self.address)
        if self.address is None or is_loopback(self.address):
            os.environ[LOOPBACK_NODE_ENV] = "0"  # joining a loopback-bound cluster: this driver's node is 127.0.0.1 too
        import ray

        if ray.is_initialized():
            raise RuntimeError("This process is already connected to Ray; use that connection or shut it down.")
        self._children_before = {p.pid for p in psutil.Process().children(recursive=True)}
        try:
            if self.address is None:
                context = ray.init(**self._local_options())
            else:
                context = ray.init(address=self.address, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, TimeoutError) as exc:
            where = self.address or "this machine"
            raise ClusterUnreachable(f"Could not connect to a Ray cluster at {where}: {first_line(exc)}") from exc
        self.started_local = self.address is None
        self.gcs_address = context.address_info["gcs_address"]
        self.record_pids()
        node_ip = context.address_info["node_ip_address"]
        if self.started_local and not node_ip.startswith("127."):
            log.warning("Ray was imported before the local cluster started; its ports bind %s, not 127.0.0.1", node_ip)
        log.info(
            "Ray %s at %s (%d processes started here)",
            "local cluster" if self.started_local else "cluster",
            self.gcs_address,
            len(self.pids),
        )

    def _local_options(self) -> dict:
        settings = self.settings
        options = dict(
            include_dashboard=False,
            object_store_memory=settings.object_store_mb * 2**20,
            log_to_driver=False,  # replicas log to the session's files, not the server's console
            configure_logging=False,
        )
        if settings.num_cpus is not None:
            options["num_cpus"] = settings.num_cpus
        if settings.temp_dir is not None:
            Path(settings.temp_dir).mkdir(parents=True, exist_ok=True)
            options["_temp_dir"] = str(settings.temp_dir)
        return options

    def record_pids(self) -> set[int]:
        """Add the Ray processes running now (the GCS, raylet, agents, workers, replicas) to `pids`.

        They are this process's descendants that were not there before Ray started; replicas
        restarted after a fault get new PIDs, so `stop` records again before shutting down."""
        if self.started_local:
            children = {p.pid for p in psutil.Process().children(recursive=True)}
            self.pids |= children - self._children_before
        return self.pids

    def alive(self) -> set[int]:
        """Recorded PIDs that still run (zombies count as gone)."""
        running = set()
        for pid in self.pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    running.add(pid)
            except psutil.NoSuchProcess:
                pass
        return running

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> set[int]:
        """Disconnect; for a local cluster stop every Ray process it started. Returns the PIDs that
        had to be killed after `ray.shutdown` (normally none)."""
        import ray

        self.record_pids()
        if ray.is_initialized():
            ray.shutdown()
        if not self.started_local:
            return set()
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        leftovers = self.alive()
        for pid in leftovers:
            log.warning("Ray process %d outlived ray.shutdown; killing it", pid)
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(pid).kill()
        deadline = time.monotonic() + 5
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        return leftovers


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
