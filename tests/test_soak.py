"""Long-run memory: raw samples are stored compactly (two int64 per request), so RSS grows ~16 B a request.

Marked slow (not in the default run): 30 minutes of virtual time on the fake engine at 100 µs a request,
i.e. 18 million requests, in a real subprocess whose RSS is sampled from outside.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

REQUESTS = 18_000_000  # 1800 s of virtual time / 100 µs


def _rss_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


@pytest.mark.slow
def test_soak_memory_grows_only_by_the_raw_samples(cli_env: dict[str, str]) -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read RSS")
    process = subprocess.Popen(
        [sys.executable, "-m", "infermeter", "run", "zoo:resnet18", "-e", "fake", "--fake-latency", "100us",
         "-t", "1800", "-api", "sync", "--no-warmup", "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env)
    readings: list[tuple[float, int]] = []
    began = time.monotonic()
    while process.poll() is None:
        rss = _rss_bytes(process.pid)
        if rss is not None:
            readings.append((time.monotonic() - began, rss))
        time.sleep(0.25)
    out, err = process.communicate()
    assert process.returncode == 0, err
    assert f"{REQUESTS:,} requests" in out
    start_rss = readings[min(4, len(readings) - 1)][1]  # after imports (1 s in)
    peak_rss = max(rss for _, rss in readings)
    per_request = (peak_rss - start_rss) / REQUESTS
    print(f"\nsoak: {REQUESTS:,} requests in {readings[-1][0]:.0f} s; RSS start {start_rss / 2**20:.0f} MiB, "
          f"peak {peak_rss / 2**20:.0f} MiB, {per_request:.1f} B per request (raw samples: 16 B)")
    # 16 B of raw samples per request (+ up to 50 % spare capacity while running), then exact copies and the
    # statistics' sorted latencies at the end: measured 32 B per request at the peak.
    assert per_request <= 48
