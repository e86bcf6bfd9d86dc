"""``--cluster`` and its options, shared by ``sweep`` and ``suite``: the point runner a command uses.

Without ``--cluster`` the runner is the local one and nothing of Ray is imported (``runs.cluster`` is imported
only when the option is given)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from ..runs.points import PointRunner

CLUSTER_VALUE_FLAGS = ("--cluster", "--cluster-nodes", "--cluster-files", "--cluster-timeout")


def add_cluster_options(parser: argparse.ArgumentParser, each_node: bool = False) -> None:
    group = parser.add_argument_group("cluster (Ray; pip install 'infermeter[ray]')")
    add = group.add_argument
    add("--cluster", metavar="ADDRESS", help="run the points on a Ray cluster, one per node at a time: "
        "ray://HOST:PORT, HOST:PORT, auto (RAY_ADDRESS, else this machine's cluster) or RAY_ADDRESS")
    add("--cluster-nodes", metavar="SELECTOR", help="only nodes matching every term: KEY=VALUE (a node label; "
        "ip=ADDRESS, id=NODE_ID) or NAME (a custom resource), comma-separated")
    add("--cluster-files", default="auto", choices=("auto", "shared", "ship"), help="model and input files: "
        "auto = used in place where every node has the same file at the same path, else shipped through Ray "
        "(default); shared = must be on a shared path (checked up front); ship = always shipped")
    add("--cluster-timeout", default="10", metavar="SECONDS", help="how long to wait for the cluster to answer "
        "(default 10 s)")
    if each_node:
        add("--each-node", action="store_true", help="fleet run: every point on every selected node; a "
            "machine × model table with items/s per node and per CPU")


def cluster_runner(args: argparse.Namespace, argvs: Iterable[Sequence[str]]) -> PointRunner | None:
    """The Ray runner when --cluster is given (the files every point names checked or shipped), else None."""
    if getattr(args, "each_node", False) and not args.cluster:
        raise UsageError("--each-node runs the suite on every node of a cluster: give --cluster ADDRESS")
    if not args.cluster:
        return None
    from ..config.values import parse_duration
    from ..runs.cluster import connect
    from ..runs.cluster_nodes import ClusterOptions

    timeout = parse_duration("--cluster-timeout", args.cluster_timeout) / 1e9
    if timeout <= 0:
        raise UsageError("--cluster-timeout must be more than 0")
    options = ClusterOptions(args.cluster, args.cluster_nodes, args.cluster_files,
                             getattr(args, "each_node", False), timeout)
    files = sorted({path for argv in argvs for path in local_files(argv)})
    return connect(options, files)


def absolute_argv(argv: Sequence[str]) -> tuple[str, ...]:
    """``argv`` with every token that names an existing local file or folder (or ``NAME:PATH``) made absolute:
    a cluster's worker does not run in this folder."""
    return tuple(_absolute(token) for token in argv)


def _absolute(token: str) -> str:
    if token.startswith(("-", "zoo:")) or not token:
        return token
    if Path(token).exists():
        return os.path.abspath(token)
    name, colon, path = token.partition(":")
    if colon and path and Path(path).exists():
        return f"{name}:{os.path.abspath(path)}"
    return token


def local_files(argv: Sequence[str]) -> list[str]:
    """The local files a point's command line names (absolute): models with their side files (an OpenVINO
    .xml's .bin), -i files, and the files in -i folders."""
    found: list[str] = []
    for token in absolute_argv(argv):
        path = token.partition(":")[2] if ":" in token and not Path(token).exists() else token
        candidate = Path(path)
        if not candidate.is_absolute() or not candidate.exists():
            continue
        if candidate.is_dir():
            found += [str(item) for item in sorted(candidate.rglob("*")) if item.is_file()]
            continue
        found.append(str(candidate))
        if candidate.suffix.lower() == ".xml" and candidate.with_suffix(".bin").is_file():
            found.append(str(candidate.with_suffix(".bin")))
    return found


def close_runner(runner: Any) -> None:
    close = getattr(runner, "close", None)
    if close is not None:
        close()
