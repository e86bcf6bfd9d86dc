"""The fake engine's latency grammar, parsed where the configuration is checked (before anything loads):

  5ms                     constant
  cycle:1ms,2ms,3ms       call k takes the (k mod n)-th value
  lognormal:5ms,0.2       seeded lognormal with median 5 ms and sigma 0.2 (of the log)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..units import parse_duration_ns


@dataclass(frozen=True)
class LatencySpec:
    values_ns: tuple[int, ...] = ()
    lognormal: tuple[int, float] | None = None  # (median ns, sigma of the log)


def parse_latency_spec(spec: str) -> LatencySpec:
    """Raises ValueError with the reason."""
    kind, _, rest = spec.strip().partition(":")
    if not rest:
        return LatencySpec((_positive_ns(kind),))
    if kind == "cycle":
        values = tuple(_positive_ns(v) for v in rest.split(",") if v.strip())
        if not values:
            raise ValueError("cycle: needs at least one duration")
        return LatencySpec(values)
    if kind == "lognormal":
        parts = [p.strip() for p in rest.split(",")]
        if len(parts) != 2:
            raise ValueError("lognormal: expects MEDIAN,SIGMA, e.g. lognormal:5ms,0.2")
        try:
            sigma = float(parts[1])
        except ValueError:
            raise ValueError(f"lognormal sigma {parts[1]!r} is not a number") from None
        if not 0 <= sigma <= 5:
            raise ValueError("lognormal sigma must be within 0..5")
        return LatencySpec(lognormal=(_positive_ns(parts[0]), sigma))
    raise ValueError(f"unknown latency model {kind!r}; use 5ms, cycle:1ms,2ms or lognormal:5ms,0.2")


def _positive_ns(text: str) -> int:
    ns = parse_duration_ns(text.strip(), default_unit="ms")
    if ns <= 0:
        raise ValueError(f"latency {text!r} must be positive")
    return ns
