"""The Ray point runner: each point a Ray task that holds a whole node (hard node affinity and every CPU the node
offers, so no other task of any driver shares it), one point per node at a time; the task runs the same fresh
``infermeter run`` process as the local runner, on the node, and returns its report to the driver.

Up front, a probe task on every selected node returns its infermeter and Python versions and whether it sees
each local file the points name at the same path with the same content (a shared path). Files it does not see
(or every file, with ``--cluster-files ship``) go through Ray's object store and are written to the node's
cache before the point runs. A node that dies fails its point, which is retried once on another node; Ctrl-C
cancels the running tasks (their children are killed) and keeps every result already collected.

This is the only module that imports Ray (``runs.cluster`` checks the options and the address first).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from .. import __version__
from ..errors import UsageError, one_line
from ..results.facts import Placement
from ..results.report import Report
from .cluster_nodes import NAME_LABEL, ClusterOptions, Term, node_matches
from .points import Outcome, OutcomeHook, Point, run_point_subprocess

CANCEL_GRACE_S = 10.0  # after Ctrl-C, how long running tasks get to end before they are killed
TIMEOUT_GRACE_S = 60.0  # beyond --point-timeout, how long the driver waits for a task before killing it
WAIT_S = 0.5


@dataclass(frozen=True)
class Node:
    id: str
    address: str
    name: str
    cpus: float


@dataclass
class _Task:
    point: Point
    node: Node
    attempt: int
    started: float
    retry_reason: str | None = None
    expired: bool = False  # killed by the driver: past --point-timeout and its grace


class RayRunner:
    def __init__(self, address: str, nodes: list[Node], shipped: dict[str, tuple[str, Any]]) -> None:
        self.address = address
        self.nodes = nodes
        self._shipped = shipped  # local path -> (content hash, object ref of its bytes)

    @classmethod
    def start(cls, address: str, options: ClusterOptions, terms: Sequence[Term], files: Sequence[str]) -> RayRunner:
        try:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR,
                     ignore_reinit_error=True)
        except Exception as error:  # Ray raises ConnectionError, RuntimeError, ValueError...
            raise UsageError(f"--cluster {options.address}: cannot connect to Ray: {one_line(error)}") from None
        nodes = _select(terms, options.selector)
        hashes = {path: _digest(Path(path)) for path in files}
        answers = _probe_all(nodes, hashes, options.timeout_s)
        shipped: dict[str, tuple[str, Any]] = {}
        for path, digest in hashes.items():
            missing = [node.name for node in nodes if not answers[node.id]["same"].get(path)]
            if options.files == "shared" and missing:
                raise UsageError(f"--cluster-files shared: {path} is not the same file on node {missing[0]} "
                                 "(missing or different content): put it on a path every node shares, or use "
                                 "--cluster-files auto")
            if options.files == "ship" or missing:
                shipped[path] = (digest, ray.put(Path(path).read_bytes()))
        return cls(address, nodes, shipped)

    def close(self) -> None:
        ray.shutdown()

    def run_all(self, points: Sequence[Point], timeout_s: float | None, on_outcome: OutcomeHook) -> bool:
        waiting: deque[tuple[Point, int, Node | None, str | None]] = deque((p, 1, None, None) for p in points)
        running: dict[Any, _Task] = {}
        idle = list(self.nodes)
        try:
            while waiting or running:
                self._dispatch(waiting, running, idle, timeout_s, on_outcome)
                if not running:
                    continue
                ready, _ = ray.wait(list(running), num_returns=1, timeout=WAIT_S)
                self._expire(running, timeout_s)
                for ref in ready:
                    self._collect(ref, running.pop(ref), waiting, idle, on_outcome)
        except KeyboardInterrupt:
            _cancel(list(running))
            return True
        return False

    def _dispatch(self, waiting: deque[tuple[Point, int, Node | None, str | None]], running: dict[Any, _Task],
                  idle: list[Node], timeout_s: float | None, on_outcome: OutcomeHook) -> None:
        """Give every idle node the first waiting point it may run; fail points no live node can take."""
        for node in list(idle):
            job = next((item for item in waiting if _may_run(item, node)), None)
            if job is None:
                continue
            waiting.remove(job)
            idle.remove(node)
            point, attempt, _, reason = job
            ref = _point_task.options(num_cpus=node.cpus, scheduling_strategy=NodeAffinitySchedulingStrategy(
                node.id, soft=False)).remote(list(point.argv), self._shipped, timeout_s)
            running[ref] = _Task(point, node, attempt, time.monotonic(), reason)
        for job in list(waiting):
            if not any(_may_run(job, node) for node in self.nodes):  # its node died, or every other one did
                waiting.remove(job)
                reason = job[3] or "its node is not in the cluster any more"
                on_outcome(job[0], Outcome(None, f"{reason}; no other live node can run it"))

    def _expire(self, running: dict[Any, _Task], timeout_s: float | None) -> None:
        if timeout_s is None:
            return
        for ref, task in running.items():
            if not task.expired and time.monotonic() - task.started > timeout_s + TIMEOUT_GRACE_S:
                task.expired = True
                ray.cancel(ref, force=True)

    def _collect(self, ref: Any, task: _Task, waiting: deque[tuple[Point, int, Node | None, str | None]],
                 idle: list[Node], on_outcome: OutcomeHook) -> None:
        placement = Placement(runner="ray", node_id=task.node.id, address=task.node.address, node=task.node.name,
                              cpus=task.node.cpus, attempts=task.attempt, retry_reason=task.retry_reason)
        try:
            result = ray.get(ref)
        except ray.exceptions.RayError as error:
            self._failed(error, task, placement, waiting, idle, on_outcome)
            return
        idle.append(task.node)
        text = result["report"]  # the report file's text, as the point wrote it on the node
        report = Report.from_dict(json.loads(text)) if text is not None else None
        placement = dataclasses.replace(placement, started_unix_ns=result["started"], ended_unix_ns=result["ended"])
        on_outcome(task.point, Outcome(report, result["error"], result["interrupted"], placement, text))


    def _failed(self, error: Exception, task: _Task, placement: Placement,
                waiting: deque[tuple[Point, int, Node | None, str | None]], idle: list[Node],
                on_outcome: OutcomeHook) -> None:
        """A task that gave no result: killed by us (timeout), failed in our code, or lost with its node."""
        if task.expired or isinstance(error, ray.exceptions.TaskCancelledError):
            idle.append(task.node)  # a killed worker, not a dead node
            on_outcome(task.point, Outcome(None, "no result in time: the task was killed", placement=placement))
        elif isinstance(error, ray.exceptions.RayTaskError):  # our own code raised on the node
            idle.append(task.node)
            on_outcome(task.point, Outcome(None, f"failed on node {task.node.name}: {one_line(error.cause or error)}",
                                           placement=placement))
        else:  # the node died (no more points for it), or its worker did (the node stays)
            if isinstance(error, ray.exceptions.NodeDiedError):
                self.nodes = [node for node in self.nodes if node.id != task.node.id]
            else:
                idle.append(task.node)
            reason = f"node {task.node.name} died ({type(error).__name__})" if isinstance(
                error, ray.exceptions.NodeDiedError) else f"the task on node {task.node.name} died ({one_line(error)})"
            if task.attempt == 1 and task.point.node is None:
                waiting.appendleft((task.point, 2, task.node, reason))
            else:
                on_outcome(task.point, Outcome(None, f"{reason}; not retried again" if task.attempt > 1 else reason,
                                               placement=placement))


def _may_run(job: tuple[Point, int, Node | None, str | None], node: Node) -> bool:
    point, _, avoid, _ = job
    return (point.node is None or point.node == node.name) and (avoid is None or avoid.id != node.id)


def _cancel(refs: list[Any]) -> None:
    """Ask the running tasks to stop (their child processes are killed), then kill what is still running."""
    for ref in refs:
        ray.cancel(ref)
    _, left = ray.wait(refs, num_returns=len(refs), timeout=CANCEL_GRACE_S) if refs else ([], [])
    for ref in left:
        ray.cancel(ref, force=True)


def _select(terms: Sequence[Term], selector: str | None) -> list[Node]:
    nodes = []
    for info in ray.nodes():  # type: ignore[no-untyped-call]
        resources, labels = info.get("Resources", {}), info.get("Labels", {}) or {}
        cpus = float(resources.get("CPU", 0))
        if not info.get("Alive") or cpus <= 0:
            continue
        if node_matches(terms, info["NodeID"], info["NodeManagerAddress"], labels, resources):
            name = labels.get(NAME_LABEL) or f"{info['NodeManagerAddress']}/{info['NodeID'][:6]}"
            nodes.append(Node(info["NodeID"], info["NodeManagerAddress"], name, cpus))
    if not nodes:
        what = f" matching --cluster-nodes {selector!r}" if selector else ""
        raise UsageError(f"--cluster: no live node with CPUs{what} in the cluster")
    return sorted(nodes, key=lambda node: node.name)


def _probe_all(nodes: Sequence[Node], hashes: dict[str, str], timeout_s: float) -> dict[str, dict[str, Any]]:
    refs = {node.id: _probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node.id, soft=False))
            .remote(hashes) for node in nodes}
    answers: dict[str, dict[str, Any]] = {}
    for node in nodes:
        try:
            answers[node.id] = ray.get(refs[node.id], timeout=timeout_s + 60.0)  # a first worker can take long
        except Exception as error:
            raise UsageError(f"--cluster: node {node.name} did not answer the start-up probe: "
                             f"{one_line(error)}") from None
        if answers[node.id]["version"] != __version__:
            raise UsageError(f"--cluster: node {node.name} has infermeter {answers[node.id]['version']}, this "
                             f"machine {__version__}: install the same version on every node")
    return answers


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@ray.remote(num_cpus=0, max_retries=0)
def _probe(hashes: dict[str, str]) -> dict[str, Any]:
    same = {path: Path(path).is_file() and _digest(Path(path)) == digest for path, digest in hashes.items()}
    return {"version": __version__, "same": same}


@ray.remote(max_retries=0)
def _point_task(argv: list[str], shipped: dict[str, tuple[str, Any]], timeout_s: float | None) -> dict[str, Any]:
    started = time.time_ns()
    argv = _materialised(argv, shipped)
    outcome = run_point_subprocess(argv, timeout_s, die_with_parent=True)
    return {"report": outcome.report_json if outcome.report is not None else None, "error": outcome.error,
            "interrupted": outcome.interrupted, "started": started, "ended": time.time_ns()}


def _materialised(argv: list[str], shipped: dict[str, tuple[str, Any]]) -> list[str]:
    """``argv`` with every shipped file written to this node's cache and its path replaced (files that were
    side by side stay side by side: an OpenVINO .xml finds its .bin)."""
    from ..atomic import write_atomic

    if not shipped:
        return argv
    root = Path(os.environ.get("INFERMETER_CLUSTER_CACHE") or Path.home() / ".cache" / "infermeter" / "cluster")
    renamed = {}
    for path, (digest, ref) in shipped.items():
        folder = root / hashlib.sha256(str(Path(path).parent).encode()).hexdigest()[:16]
        target = folder / Path(path).name
        if not (target.is_file() and _digest(target) == digest):
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(target, ray.get(ref))
        renamed[path] = str(target)
    return [_renamed(token, renamed) for token in argv]


def _renamed(token: str, renamed: dict[str, str]) -> str:
    if token in renamed:
        return renamed[token]
    name, colon, path = token.partition(":")
    return f"{name}:{renamed[path]}" if colon and path in renamed else token


__all__ = ["Node", "RayRunner"]
