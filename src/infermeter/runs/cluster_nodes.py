"""The cluster's options and node selectors (``--cluster-nodes``), without Ray: ``runs.cluster`` checks them
before Ray is imported, ``runs.cluster_ray`` applies them to the nodes Ray lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import UsageError

NAME_LABEL = "infermeter-name"  # a node label that names the node in tables (ray start --labels)


@dataclass(frozen=True)
class ClusterOptions:
    address: str  # as given
    selector: str | None = None
    files: str = "auto"  # auto: shared where every node sees the same file, shipped otherwise; shared; ship
    each_node: bool = False  # fleet: every point on every selected node
    timeout_s: float = 10.0  # connecting, and a node's answer to the start-up probe


@dataclass(frozen=True)
class Term:
    key: str
    value: str | None  # None: a custom resource the node must offer


def parse_selector(text: str | None) -> list[Term]:
    if text is None:
        return []
    terms = []
    for part in (item.strip() for item in text.split(",")):
        key, equals, value = (piece.strip() for piece in part.partition("="))
        if not key or (equals and not value):
            raise UsageError(f"--cluster-nodes {text!r}: expected KEY=VALUE (a node label, ip=ADDRESS, id=NODE_ID) "
                             "or NAME (a custom resource), separated by commas")
        terms.append(Term(key, value if equals else None))
    return terms


def node_matches(terms: Sequence[Term], node_id: str, address: str, labels: Mapping[str, str],
                 resources: Mapping[str, float]) -> bool:
    for term in terms:
        if term.value is None:
            if resources.get(term.key, 0) <= 0:
                return False
        elif term.key == "ip":
            if address != term.value:
                return False
        elif term.key == "id":
            if not node_id.startswith(term.value):
                return False
        elif labels.get(term.key) != term.value:
            return False
    return True
