"""A Ray multi-node test cluster on this machine (``ray.cluster_utils.Cluster``): a head with no CPUs and
worker nodes of one CPU each, every process on the loopback address, Ray's files in a private temp folder.
Everything it starts it ends (``close``); nothing else (never ``ray stop``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # Ray then resolves 127.0.0.1 to itself, not the NIC
                "RAY_USAGE_STATS_ENABLED": "0", "RAY_DEDUP_LOGS": "0"}


@dataclass
class TestCluster:
    cluster: Any
    folder: str
    nodes: dict[str, Any] = field(default_factory=dict)  # name -> ray node
    cache: Any = None  # the nodes' INFERMETER_CLUSTER_CACHE, when a test sets one
    environ: dict[str, str] = field(default_factory=dict)  # what the nodes' processes get in their environment

    @property
    def address(self) -> str:
        return str(self.cluster.address)

    def add(self, name: str, cpus: int = 1) -> None:
        with environment(self.environ):  # a node's processes inherit it; this process's is left as it was
            self.nodes[name] = self.cluster.add_node(num_cpus=cpus, node_ip_address="127.0.0.1",
                                                     labels={"infermeter-name": name}, include_dashboard=False)

    def node_of(self, pid: int) -> str:
        """The node whose raylet ``pid`` descends from (a point process: raylet → worker → point)."""
        raylets = {node.all_processes["raylet"][0].process.pid: name for name, node in self.nodes.items()}
        while pid > 1:
            if pid in raylets:
                return raylets[pid]
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
                pid = int(stat.read().rsplit(")", 1)[1].split()[1])
        raise LookupError("not a process of a test node")

    def kill(self, name: str) -> None:
        self.cluster.remove_node(self.nodes.pop(name), allow_graceful=False)

    def close(self) -> None:
        self.cluster.shutdown()
        shutil.rmtree(self.folder, ignore_errors=True)


def start(names: list[str], environ: dict[str, str] | None = None) -> TestCluster:
    """A head (no CPUs: no point runs there) and one 1-CPU node per name, labelled infermeter-name=NAME."""
    folder = tempfile.mkdtemp(prefix="imray", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    variables = {**LOOPBACK_ENV, "RAY_TMPDIR": folder, **(environ or {})}
    with environment(variables):
        from ray.cluster_utils import Cluster

        cluster = TestCluster(Cluster(initialize_head=True, shutdown_at_exit=True, head_node_args={
            "num_cpus": 0, "node_ip_address": "127.0.0.1", "include_dashboard": False}), folder, environ=variables)
    for name in names:
        cluster.add(name)
    cluster.cluster.wait_for_nodes()
    return cluster


@contextlib.contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def driver_environment(cluster: TestCluster) -> dict[str, str]:
    """The environment of an ``infermeter ... --cluster`` process that drives the test cluster."""
    return {**os.environ, **cluster.environ, "COLUMNS": "160"}
