"""``--cluster``: run a sweep's or a suite's points on a Ray cluster, one benchmark per node at a time.

This module does not import Ray: it reads the options, checks that Ray is installed and that the address
answers (a TCP connect within ``--cluster-timeout``), and only then imports ``runs.cluster_ray``, the one
module that talks to Ray. Without ``--cluster`` nothing here runs, and Ray is never imported.

Addresses: ``ray://HOST:PORT`` (Ray Client, port 10001 by default), ``HOST:PORT`` (the head's GCS, port 6379 by
default, for a driver on a cluster node), ``auto`` (Ray's own rule: ``RAY_ADDRESS`` if set, else the cluster this
machine belongs to) and ``RAY_ADDRESS`` (the variable's value, which must be set).

Node selectors (``--cluster-nodes``): comma-separated terms, all of which a node must match: ``KEY=VALUE`` (a
node label, from ``ray start --labels``; ``ip=ADDRESS`` and ``id=NODE_ID`` are built in) or ``NAME`` (the node
offers the custom resource NAME, from ``ray start --resources``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..errors import UsageError
from .cluster_nodes import ClusterOptions, parse_selector

if TYPE_CHECKING:
    from .points import PointRunner

RAY_PIP = "pip install 'infermeter[ray]'"
FILE_MODES = ("auto", "shared", "ship")
DEFAULT_PORTS = {"ray": 10001, "gcs": 6379}


def resolve_address(text: str, environ: Mapping[str, str] | None = None) -> str:
    """The address Ray is given: ``RAY_ADDRESS`` is read here; the others are checked for form."""
    environ = os.environ if environ is None else environ
    if text == "RAY_ADDRESS":
        value = environ.get("RAY_ADDRESS", "").strip()
        if not value:
            raise UsageError("--cluster RAY_ADDRESS: the RAY_ADDRESS variable is not set; give the address, e.g. "
                             "--cluster ray://HEAD:10001")
        text = value
    if text == "auto":
        return text
    if _host_port(text) is None:
        raise UsageError(f"--cluster {text!r}: expected ray://HOST:PORT, HOST:PORT, auto or RAY_ADDRESS")
    return text


def _host_port(address: str) -> tuple[str, int] | None:
    match = re.fullmatch(r"(ray://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?/?", address)
    if match is None:
        return None
    port = int(match.group(3)) if match.group(3) else DEFAULT_PORTS["ray" if match.group(1) else "gcs"]
    return match.group(2).strip("[]"), port


def check_installed() -> None:
    if importlib.util.find_spec("ray") is None:
        raise UsageError(f"--cluster needs Ray, which is not installed: {RAY_PIP}")


def probe(address: str, timeout_s: float) -> None:
    """Fail in one line, within ``timeout_s``, when nothing answers at ``address`` (``auto`` is Ray's to find)."""
    found = _host_port(address)
    if found is None:
        return
    host, port = found
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as error:
        reason = "no answer" if isinstance(error, TimeoutError) else (error.strerror or type(error).__name__)
        raise UsageError(f"--cluster {address}: the Ray cluster does not answer at {host}:{port} within "
                         f"{timeout_s:g} s ({reason}); is it started (ray start --head) and reachable?") from None


def connect(options: ClusterOptions, files: Sequence[str] = ()) -> PointRunner:
    """A runner on the cluster at ``options.address``; ``files``: the local files the points name (checked on
    every node up front: the same file at the same path, else shipped through Ray, per ``options.files``)."""
    check_installed()
    address = resolve_address(options.address)
    if options.files not in FILE_MODES:
        raise UsageError(f"--cluster-files {options.files!r}: choose from {', '.join(FILE_MODES)}")
    probe(address, options.timeout_s)
    from . import cluster_ray

    return cluster_ray.RayRunner.start(address, options, parse_selector(options.selector), files)
