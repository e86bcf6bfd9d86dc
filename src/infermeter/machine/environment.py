"""A record of the machine a run happened on, so two reports can be judged comparable.

``collect`` reads ``/proc`` and ``/sys`` under ``root`` so tests can point it at a fake tree; every value it cannot
read is ``None`` and nothing raises. ``differences`` lists what makes two such records not comparable, and
``CpuMeter`` measures how much CPU other processes (and the hypervisor) took while a run was going on.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from ..results.facts import ClockFacts, CpuUsage, MachineFacts

__all__ = ["SYSTEM_ROOT", "CpuMeter", "CpuUsage", "collect", "cpu_model_name", "differences", "usable_cpu_count"]

_FLAGS_OF_INTEREST = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "avx_vnni")
_CONTAINER_CGROUP_MARKERS = ("docker", "kubepods", "containerd", "lxc")
_CPU_SYSFS = "sys/devices/system/cpu"
_CPU_RANGE = re.compile(r"([0-9]+)(?:-([0-9]+))?")
_CLOCK_COST_SAMPLES = 2000
SYSTEM_ROOT = Path("/")

# Keys whose difference makes two runs not comparable, in the order ``differences`` reports them.
_COMPARABILITY_KEYS = ("cpu_model", "logical_cpus", "usable_cpus", "cpus_online", "cpu_quota_cores", "cpu_flags",
                       "memory_bytes", "engine_versions", "kernel", "python", "numpy", "cpu_governor", "cpu_boost",
                       "container", "virtualization")


def collect(engine_versions: dict[str, str] | None = None, root: Path = SYSTEM_ROOT) -> MachineFacts:
    cpu = _cpuinfo(root)
    return MachineFacts(
        hostname=platform.node(),
        os=platform.platform(),
        kernel=platform.release(),
        python=platform.python_version(),
        python_implementation=platform.python_implementation(),
        numpy=np.__version__,
        cpu_model=cpu.get("model name") or platform.processor() or "unknown",  # = cpu_model_name()
        cpu_flags=tuple(flag for flag in _FLAGS_OF_INTEREST if flag in cpu.get("flags", "").split()),
        logical_cpus=os.cpu_count(),
        usable_cpus=_usable_cpus(),
        memory_bytes=_meminfo_bytes(root, "MemTotal"),
        load_average=tuple(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        engine_versions=dict(engine_versions or {}),
        argv0=sys.argv[0] if sys.argv else None,
        **_cpu_state(root, cpu),
        memory_available_bytes=_meminfo_bytes(root, "MemAvailable"),
        cpu_quota_cores=_cpu_quota_cores(root),
        container=_container(root),
        virtualization=_virtualization(root, cpu),
        clock=_clock_info(),
    )


def differences(a: MachineFacts, b: MachineFacts) -> list[str]:
    """One line per field that makes runs on ``a`` and ``b`` not comparable; the hostname, if it differs, last."""
    lines: list[str] = []
    for key in _COMPARABILITY_KEYS:
        if key == "engine_versions":
            lines.extend(_engine_differences(a.engine_versions, b.engine_versions))
        elif getattr(a, key) != getattr(b, key):
            lines.append(f"{key}: {_shown(getattr(a, key))!r} vs {_shown(getattr(b, key))!r}")
    if a.hostname != b.hostname:
        lines.append(f"hostname: {a.hostname!r} vs {b.hostname!r}")
    return lines


def _shown(value: Any) -> Any:
    """Lists as JSON shows them (a record's tuples print as lists, as they did when records were dicts)."""
    return list(value) if isinstance(value, tuple) else value


def _engine_differences(a: Mapping[str, str], b: Mapping[str, str]) -> list[str]:
    return [f"engine_versions[{name}]: {a.get(name)!r} vs {b.get(name)!r}"
            for name in sorted(a.keys() | b.keys()) if a.get(name) != b.get(name)]


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace").strip()
    except (OSError, ValueError):
        return None


def _cpuinfo(root: Path) -> dict[str, str]:
    text = _read_text(root / "proc/cpuinfo")
    fields: dict[str, str] = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:
            fields[key.strip()] = value.strip()
        if not line.strip() and fields:
            break  # the first processor is enough
    return fields


def _usable_cpus() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


def _meminfo_bytes(root: Path, field: str) -> int | None:
    for line in (_read_text(root / "proc/meminfo") or "").splitlines():
        name, _, value = line.partition(":")
        if name == field:
            try:
                return int(value.split()[0]) * 1024
            except (ValueError, IndexError):
                return None
    return None


def _count_cpu_list(text: str | None) -> int | None:
    """Count the CPUs in a kernel CPU list such as ``0-3,6,8-9`` (7); None when it is not one."""
    if not text:
        return None
    count = 0
    for part in text.split(","):
        match = _CPU_RANGE.fullmatch(part)
        if match is None or int(match[2] or match[1]) < int(match[1]):
            return None
        count += int(match[2] or match[1]) - int(match[1]) + 1
    return count


def _cpu_state(root: Path, cpu: dict[str, str]) -> dict[str, Any]:
    cpufreq = root / _CPU_SYSFS / "cpu0/cpufreq"
    return {
        "cpus_online": _count_cpu_list(_read_text(root / _CPU_SYSFS / "online")),
        "cpu_mhz": _cpu_mhz(cpufreq / "scaling_cur_freq", cpu.get("cpu MHz")),
        "cpu_governor": _read_text(cpufreq / "scaling_governor") or None,
        "cpu_boost": _cpu_boost(root),
    }


def _cpu_mhz(scaling_cur_freq: Path, cpuinfo_mhz: str | None) -> float | None:
    khz = _read_text(scaling_cur_freq)
    try:
        if khz:
            return int(khz) / 1000
        return float(cpuinfo_mhz) if cpuinfo_mhz else None
    except ValueError:
        return None


def _cpu_boost(root: Path) -> bool | None:
    boost = _read_text(root / _CPU_SYSFS / "cpufreq/boost")
    if boost in ("0", "1"):
        return boost == "1"
    no_turbo = _read_text(root / _CPU_SYSFS / "intel_pstate/no_turbo")
    if no_turbo in ("0", "1"):
        return no_turbo == "0"
    return None


def _cpu_quota_cores(root: Path) -> float | None:
    """CPU cores the cgroup may use (quota / period); None when unlimited or unknown."""
    cgroup = root / "sys/fs/cgroup"
    cpu_max = _read_text(cgroup / "cpu.max")
    if cpu_max is not None:
        quota, _, period = cpu_max.partition(" ")
    else:  # cgroup v1
        quota = _read_text(cgroup / "cpu/cpu.cfs_quota_us") or ""
        period = _read_text(cgroup / "cpu/cpu.cfs_period_us") or ""
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:
        return None  # "max", missing or garbled
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def _container(root: Path) -> str | None:
    if (root / ".dockerenv").exists():
        return "docker"
    if (root / "run/.containerenv").exists():
        return "podman"
    init_cgroup = _read_text(root / "proc/1/cgroup") or ""
    if any(marker in init_cgroup for marker in _CONTAINER_CGROUP_MARKERS):
        return "container (cgroup)"
    return None


def _virtualization(root: Path, cpu: dict[str, str]) -> str | None:
    """None on bare metal; under a hypervisor its DMI vendor and product, or "hypervisor flag" if DMI is unreadable."""
    if "hypervisor" not in cpu.get("flags", "").split():
        return None
    dmi = root / "sys/class/dmi/id"
    vendor, product = _read_text(dmi / "sys_vendor") or "", _read_text(dmi / "product_name") or ""
    if product.startswith(vendor):
        vendor = ""
    return f"{vendor} {product}".strip() or "hypervisor flag"


def _clock_info() -> ClockFacts:
    info = time.get_clock_info("perf_counter")
    return ClockFacts(name="perf_counter", implementation=info.implementation,
                      resolution_ns=max(1, round(info.resolution * 1e9)), read_cost_ns=_clock_read_cost_ns())


def _clock_read_cost_ns() -> int:
    """Median cost of one ``perf_counter_ns`` call: the gap between two back-to-back calls."""
    read = time.perf_counter_ns
    gaps = []
    for _ in range(_CLOCK_COST_SAMPLES):
        before = read()
        gaps.append(read() - before)
    return int(np.median(gaps))


class _ProcessTimes(Protocol):
    @property
    def user(self) -> float: ...
    @property
    def system(self) -> float: ...


class _CpuSample(NamedTuple):
    wall_ns: int
    own_cpu_ns: int
    busy_jiffies: int
    steal_jiffies: int
    cpus: int | None  # the per-CPU lines of /proc/stat


class _ProcessCpu(NamedTuple):
    user: float
    system: float


def process_cpu_times() -> _ProcessTimes:
    """This process's CPU time, all threads, user + system, to the nanosecond (``CLOCK_PROCESS_CPUTIME_ID``;
    ``os.times`` counts in clock ticks of 10 ms, too coarse for the CPU time per item of a short run)."""
    return _ProcessCpu(time.process_time(), 0.0)


class CpuMeter:
    """Call ``start`` before a run and ``stop`` after it; ``stop`` is None where ``/proc/stat`` is unreadable."""

    def __init__(self, root: Path = SYSTEM_ROOT, clock: Callable[[], int] = time.perf_counter_ns,
                 own_times: Callable[[], _ProcessTimes] = process_cpu_times) -> None:
        self._proc_stat = root / "proc/stat"
        self._clock = clock
        self._own_times = own_times
        self._start: _CpuSample | None = None
        self._cpus = 0

    def start(self) -> None:
        self._cpus = _usable_cpus() or 1
        self._start = self._sample()

    def stop(self) -> CpuUsage | None:
        start = self._start
        end = self._sample() if start is not None else None
        if start is None or end is None:
            return None
        ticks = _ticks_per_second()
        return CpuUsage(
            wall_ns=end.wall_ns - start.wall_ns,
            own_cpu_ns=end.own_cpu_ns - start.own_cpu_ns,
            system_busy_ns=(end.busy_jiffies - start.busy_jiffies) * 1_000_000_000 // ticks,
            steal_ns=(end.steal_jiffies - start.steal_jiffies) * 1_000_000_000 // ticks,
            cpus=self._cpus,
            machine_cpus=end.cpus,
        )

    def _sample(self) -> _CpuSample | None:
        jiffies = _proc_stat_jiffies(self._proc_stat)
        if jiffies is None:
            return None
        times = self._own_times()
        own_cpu_ns = round((times.user + times.system) * 1e9)
        return _CpuSample(self._clock(), own_cpu_ns, *jiffies)


def _proc_stat_jiffies(path: Path) -> tuple[int, int, int | None] | None:
    """(busy, steal) jiffies from the aggregate ``cpu`` line (busy is user+nice+system+irq+softirq), and the
    number of per-CPU lines (``cpu0``, ``cpu1``, ...) the aggregate sums over (None when there are none)."""
    text = _read_text(path) or ""
    fields = text.partition("\n")[0].split()
    if not fields or fields[0] != "cpu":
        return None
    try:
        user, nice, system, _idle, _iowait, irq, softirq = (int(value) for value in fields[1:8])
        steal = int(fields[8]) if len(fields) > 8 else 0
    except ValueError:
        return None  # also too few columns
    cpus = sum(1 for line in text.splitlines() if line.startswith("cpu") and line[3:4].isdigit())
    return user + nice + system + irq + softirq, steal, cpus or None


def _ticks_per_second() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (AttributeError, ValueError, OSError):
        return 100


def cpu_model_name(root: Path = SYSTEM_ROOT) -> str:
    """The CPU model as collect() records it (the peak cache is keyed by it)."""
    return _cpuinfo(root).get("model name") or platform.processor() or "unknown"


def usable_cpu_count() -> int:
    """Cores this process may run on (affinity), at least 1."""
    return _usable_cpus() or os.cpu_count() or 1
