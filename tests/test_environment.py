"""environment: machine record from a fake /proc + /sys tree, comparability lines, and the CPU meter."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from infermeter.clock import FakeClock
from infermeter.machine import environment
from infermeter.machine.environment import CpuMeter, CpuUsage, collect, differences
from infermeter.results.facts import MachineFacts

CPUINFO = """processor\t: 0
model name\t: AMD EPYC 9R14
cpu MHz\t\t: 3705.123
flags\t\t: fpu avx2 avx512f avx512_bf16 hypervisor

processor\t: 1
model name\t: should be ignored
"""
MEMINFO = "MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n"
NEW_KEYS = ("cpus_online", "cpu_mhz", "cpu_governor", "cpu_boost", "memory_available_bytes", "cpu_quota_cores",
            "container", "virtualization")


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def fake_root(tmp_path: Path) -> Path:
    files = {
        "proc/cpuinfo": CPUINFO,
        "proc/meminfo": MEMINFO,
        "proc/1/cgroup": "0::/kubepods/burstable/pod1234\n",
        "sys/devices/system/cpu/online": "0-3,6,8-9\n",
        "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq": "2450000\n",
        "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor": "performance\n",
        "sys/devices/system/cpu/cpufreq/boost": "1\n",
        "sys/fs/cgroup/cpu.max": "200000 100000\n",
        "sys/class/dmi/id/sys_vendor": "QEMU\n",
        "sys/class/dmi/id/product_name": "Standard PC (Q35 + ICH9, 2009)\n",
    }
    for relative, text in files.items():
        write(tmp_path, relative, text)
    return tmp_path


def test_collect_reads_every_new_key_from_the_root(fake_root: Path) -> None:
    record = collect({"fake": "1.0"}, root=fake_root)
    assert {key: getattr(record, key) for key in NEW_KEYS} == {
        "cpus_online": 7,
        "cpu_mhz": 2450.0,
        "cpu_governor": "performance",
        "cpu_boost": True,
        "memory_available_bytes": 8000000 * 1024,
        "cpu_quota_cores": 2.0,
        "container": "container (cgroup)",
        "virtualization": "QEMU Standard PC (Q35 + ICH9, 2009)",
    }
    assert record.cpu_model == "AMD EPYC 9R14"
    assert record.cpu_flags == ("avx2", "avx512f", "avx512_bf16")
    assert record.memory_bytes == 16000000 * 1024
    assert record.engine_versions == {"fake": "1.0"}


def test_every_new_key_is_none_on_an_empty_root(tmp_path: Path) -> None:
    record = collect(root=tmp_path)
    assert {key: getattr(record, key) for key in NEW_KEYS} == dict.fromkeys(NEW_KEYS)
    assert record.memory_bytes is None
    assert record.cpu_flags == ()


def test_garbled_files_give_none_not_an_exception(fake_root: Path) -> None:
    for relative in ("proc/meminfo", "sys/devices/system/cpu/online", "sys/fs/cgroup/cpu.max",
                     "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "sys/devices/system/cpu/cpufreq/boost"):
        write(fake_root, relative, "??? garbage\n")
    write(fake_root, "proc/cpuinfo", "flags : hypervisor\ncpu MHz : not-a-number\n")
    record = collect(root=fake_root)
    assert [getattr(record, key) for key in ("memory_bytes", "memory_available_bytes", "cpus_online", "cpu_quota_cores",
                                    "cpu_mhz", "cpu_boost")] == [None] * 6


@pytest.mark.parametrize(("text", "count"), [
    ("0-3,6,8-9", 7), ("0", 1), ("0-63", 64), ("5,7", 2),
    ("", None), (None, None), ("3-1", None), ("a-b", None), ("0-", None), ("-3", None), ("0,,2", None),
])
def test_cpu_list_parser(text: str | None, count: int | None) -> None:
    assert environment._count_cpu_list(text) == count


def test_cpu_mhz_falls_back_to_cpuinfo(fake_root: Path) -> None:
    (fake_root / "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq").unlink()
    assert collect(root=fake_root).cpu_mhz == 3705.123


@pytest.mark.parametrize(("no_turbo", "boost"), [("1", False), ("0", True), ("x", None)])
def test_cpu_boost_from_intel_no_turbo_is_inverted(fake_root: Path, no_turbo: str, boost: bool | None) -> None:
    (fake_root / "sys/devices/system/cpu/cpufreq/boost").unlink()
    write(fake_root, "sys/devices/system/cpu/intel_pstate/no_turbo", no_turbo + "\n")
    assert collect(root=fake_root).cpu_boost is boost


def test_boost_zero_is_false(fake_root: Path) -> None:
    write(fake_root, "sys/devices/system/cpu/cpufreq/boost", "0\n")
    assert collect(root=fake_root).cpu_boost is False


@pytest.mark.parametrize(("files", "cores"), [
    ({"sys/fs/cgroup/cpu.max": "max 100000\n"}, None),
    ({"sys/fs/cgroup/cpu.max": "150000 100000\n"}, 1.5),
    ({"sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({"sys/fs/cgroup/cpu/cpu.cfs_quota_us": "50000\n", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"}, 0.5),
    ({"sys/fs/cgroup/cpu/cpu.cfs_quota_us": "50000\n"}, None),
    ({"sys/fs/cgroup/cpu.max": "100000 0\n"}, None),
])
def test_cpu_quota_cores(tmp_path: Path, files: dict[str, str], cores: float | None) -> None:
    for relative, text in files.items():
        write(tmp_path, relative, text)
    assert collect(root=tmp_path).cpu_quota_cores == cores


@pytest.mark.parametrize(("files", "container"), [
    ({".dockerenv": ""}, "docker"),
    ({".dockerenv": "", "run/.containerenv": ""}, "docker"),
    ({"run/.containerenv": ""}, "podman"),
    ({"proc/1/cgroup": "12:cpu:/docker/0123abcd\n"}, "container (cgroup)"),
    ({"proc/1/cgroup": "0::/system.slice/containerd.service\n"}, "container (cgroup)"),
    ({"proc/1/cgroup": "0::/lxc/ct1\n"}, "container (cgroup)"),
    ({"proc/1/cgroup": "0::/init.scope\n"}, None),
])
def test_container(tmp_path: Path, files: dict[str, str], container: str | None) -> None:
    for relative, text in files.items():
        write(tmp_path, relative, text)
    assert collect(root=tmp_path).container == container


@pytest.mark.parametrize(("flags", "dmi", "virtualization"), [
    ("fpu hypervisor", {}, "hypervisor flag"),
    ("fpu hypervisor", {"sys_vendor": "Amazon EC2", "product_name": "m7a.large"}, "Amazon EC2 m7a.large"),
    ("fpu hypervisor", {"sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine"},
     "Microsoft Corporation Virtual Machine"),
    ("fpu hypervisor", {"sys_vendor": "Xen"}, "Xen"),
    ("fpu hypervisor", {"sys_vendor": "Google", "product_name": "Google Compute Engine"}, "Google Compute Engine"),
    ("fpu avx2", {"sys_vendor": "Dell Inc.", "product_name": "PowerEdge R750"}, None),
])
def test_virtualization(tmp_path: Path, flags: str, dmi: dict[str, str], virtualization: str | None) -> None:
    write(tmp_path, "proc/cpuinfo", f"processor : 0\nflags : {flags}\n")
    for name, text in dmi.items():
        write(tmp_path, f"sys/class/dmi/id/{name}", text + "\n")
    assert collect(root=tmp_path).virtualization == virtualization


def record(**overrides: Any) -> MachineFacts:
    base: dict[str, Any] = {
        "hostname": "a", "cpu_model": "AMD EPYC 9R14", "logical_cpus": 8, "usable_cpus": 8, "cpus_online": 8,
        "cpu_quota_cores": None, "cpu_flags": ("avx2",), "memory_bytes": 1024, "kernel": "6.1", "python": "3.11.7",
        "numpy": "1.26.4", "cpu_governor": "performance", "cpu_boost": True, "container": None,
        "virtualization": None, "engine_versions": {"onnxruntime": "1.17.0", "openvino": "2024.0"},
        "cpu_mhz": 2400.0, "load_average": (0.1, 0.2, 0.3), "memory_available_bytes": 512,
    }
    return MachineFacts(**{**base, **overrides})


def test_identical_records_have_no_differences() -> None:
    assert differences(record(), record()) == []


def test_volatile_keys_are_not_differences() -> None:
    assert differences(record(), record(cpu_mhz=3000.0, load_average=(4, 4, 4), memory_available_bytes=1)) == []


def test_differences_lists_keys_in_order_with_hostname_last() -> None:
    other = record(hostname="b", cpu_model="AMD EPYC 7R13", cpu_boost=False, cpu_flags=("avx2", "avx512f"),
                   kernel="6.8", engine_versions={"onnxruntime": "1.18.0", "tensorrt": "10.0"},
                   cpu_quota_cores=2.0, container="docker")
    assert differences(record(), other) == [
        "cpu_model: 'AMD EPYC 9R14' vs 'AMD EPYC 7R13'",
        "cpu_quota_cores: None vs 2.0",
        "cpu_flags: ['avx2'] vs ['avx2', 'avx512f']",
        "engine_versions[onnxruntime]: '1.17.0' vs '1.18.0'",
        "engine_versions[openvino]: '2024.0' vs None",
        "engine_versions[tensorrt]: None vs '10.0'",
        "kernel: '6.1' vs '6.8'",
        "cpu_boost: True vs False",
        "container: None vs 'docker'",
        "hostname: 'a' vs 'b'",
    ]


def test_hostname_alone_is_reported() -> None:
    assert differences(record(), record(hostname="b")) == ["hostname: 'a' vs 'b'"]


def test_keys_missing_or_none_on_both_sides_are_ignored() -> None:
    a = MachineFacts(cpu_model="x", cpu_governor=None)
    assert differences(a, MachineFacts(cpu_model="x")) == []
    assert differences(MachineFacts(cpu_governor="powersave"), MachineFacts()) == ["cpu_governor: 'powersave' vs None"]
    assert differences(MachineFacts(), MachineFacts(engine_versions={"fake": "1"})) == [
        "engine_versions[fake]: None vs '1'"]


def proc_stat(user: int, nice: int, system: int, idle: int, iowait: int, irq: int, softirq: int, steal: int,
              guest: int = 0) -> str:
    return (f"cpu  {user} {nice} {system} {idle} {iowait} {irq} {softirq} {steal} {guest} 0\n"
            "cpu0 1 2 3 4 5 6 7 8 9 0\ncpu1 1 2 3 4 5 6 7 8 9 0\nintr 12345\n")


class FakeTimes:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> SimpleNamespace:
        return SimpleNamespace(user=self.seconds / 2, system=self.seconds / 2)


def test_cpu_meter_measures_foreign_and_stolen_cores(tmp_path: Path) -> None:
    tick = os.sysconf("SC_CLK_TCK")
    clock, own_times = FakeClock(start_ns=5_000), FakeTimes()
    write(tmp_path, "proc/stat", proc_stat(1000, 10, 200, 9999, 50, 3, 7, 40, guest=77))
    meter = CpuMeter(root=tmp_path, clock=clock, own_times=own_times)
    meter.start()
    clock.advance(2_000_000_000)
    own_times.seconds = 1.0
    # busy grows by 3 s worth of jiffies (user 1 + nice 0.5 + system 1 + irq 0.25 + softirq 0.25); idle, iowait and
    # guest grow too but must not count; steal grows by 1 s.
    write(tmp_path, "proc/stat", proc_stat(1000 + tick, 10 + tick // 2, 200 + tick, 9999 + 5 * tick, 50 + tick,
                                           3 + tick // 4, 7 + tick // 4, 40 + tick, guest=77 + tick))
    usage = meter.stop()
    assert usage == CpuUsage(wall_ns=2_000_000_000, own_cpu_ns=1_000_000_000, system_busy_ns=3_000_000_000,
                             steal_ns=1_000_000_000, cpus=environment._usable_cpus() or 1, machine_cpus=2)
    assert usage.foreign_cores == 1.0
    assert usage.steal_cores == 0.5
    assert usage.to_dict() == {"wall_ns": 2_000_000_000, "own_cpu_ns": 1_000_000_000,
                               "system_busy_ns": 3_000_000_000, "steal_ns": 1_000_000_000, "cpus": usage.cpus,
                               "machine_cpus": 2, "foreign_cores": 1.0, "steal_cores": 0.5, "own_cores": 0.5,
                               "machine_busy_share": 0.75}  # 3 s busy in 2 s on the 2 CPUs /proc/stat counts


def test_foreign_cores_never_negative_and_zero_wall_is_zero() -> None:
    usage = CpuUsage(wall_ns=1_000, own_cpu_ns=2_000, system_busy_ns=1_000, steal_ns=0, cpus=2)
    assert usage.foreign_cores == 0.0
    idle = CpuUsage(wall_ns=0, own_cpu_ns=0, system_busy_ns=5, steal_ns=5, cpus=2)
    assert (idle.foreign_cores, idle.steal_cores) == (0.0, 0.0)


def test_cpu_meter_without_proc_stat_or_start_gives_none(tmp_path: Path) -> None:
    meter = CpuMeter(root=tmp_path, clock=FakeClock(), own_times=FakeTimes())
    meter.start()
    assert meter.stop() is None
    write(tmp_path, "proc/stat", proc_stat(1, 2, 3, 4, 5, 6, 7, 8))
    assert CpuMeter(root=tmp_path, clock=FakeClock(), own_times=FakeTimes()).stop() is None
    write(tmp_path, "proc/stat", "cpu 1 2 3\n")
    short = CpuMeter(root=tmp_path, clock=FakeClock(), own_times=FakeTimes())
    short.start()
    assert short.stop() is None


def test_stat_without_steal_column_counts_no_steal(tmp_path: Path) -> None:
    write(tmp_path, "proc/stat", "cpu  1 2 3 4 5 6 7\n")
    meter = CpuMeter(root=tmp_path, clock=FakeClock(), own_times=FakeTimes())
    meter.start()
    usage = meter.stop()
    assert usage is not None
    assert (usage.system_busy_ns, usage.steal_ns) == (0, 0)


def test_collect_on_this_machine_has_every_key_with_the_right_type() -> None:
    real = collect({"fake": "0"})
    optional_types: dict[str, type | tuple[type, ...]] = {
        "cpus_online": int, "cpu_mhz": float, "cpu_governor": str, "cpu_boost": bool,
        "memory_available_bytes": int, "cpu_quota_cores": float, "container": str, "virtualization": str,
        "memory_bytes": int, "logical_cpus": int, "usable_cpus": int, "load_average": tuple,
    }
    for key, expected in optional_types.items():
        assert getattr(real, key) is None or isinstance(getattr(real, key), expected), key
    for key in ("hostname", "os", "kernel", "python", "numpy", "cpu_model"):
        assert isinstance(getattr(real, key), str), key
    assert isinstance(real.cpu_flags, tuple)
    assert real.engine_versions == {"fake": "0"}
    clock = real.clock
    assert clock is not None and clock.name == "perf_counter"
    assert isinstance(clock.implementation, str)
    assert isinstance(clock.resolution_ns, int) and clock.resolution_ns >= 1
    assert isinstance(clock.read_cost_ns, int) and clock.read_cost_ns >= 0
    assert differences(real, collect({"fake": "0"})) == []


def test_real_cpu_meter_runs_where_proc_stat_exists() -> None:
    meter = CpuMeter()
    meter.start()
    usage = meter.stop()
    if not Path("/proc/stat").exists():
        assert usage is None
        return
    assert usage is not None
    assert usage.wall_ns >= 0 and usage.cpus >= 1
    assert usage.foreign_cores >= 0.0
