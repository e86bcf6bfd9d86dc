"""``--cluster`` on Ray's own multi-node test cluster on this machine (``ray.cluster_utils.Cluster``: a head with
no CPUs and three 1-CPU nodes, loopback only): one point per node at a time, results collected with the node
and its environment, the same numbers as a local run, node selectors, fleet runs, shipped files, a node that
dies (its point retried once elsewhere), Ctrl-C, and the bad addresses. Every driver is a real
``infermeter`` process, bounded by a timeout; the cluster is ended by the fixture that started it."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infermeter.errors import UsageError
from infermeter.runs import cluster, cluster_nodes

ray_cluster = pytest.importorskip("ray_cluster")
DRIVER_TIMEOUT_S = 240
FAKE = ["-e", "fake", "-api", "sync", "-niter", "40", "--no-warmup"]


def suite_text(models: dict[str, str], config: list[str], rounds: int = 1, options: dict[str, list[str]] | None = None
               ) -> str:
    text = f"[suite]\nrounds = {rounds}\n"
    for name, path in models.items():
        text += f'[[model]]\nname = "{name}"\npath = "{path}"\noptions = {json.dumps((options or {}).get(name, []))}\n'
    return text + f'[[config]]\nname = "c"\noptions = {json.dumps(config)}\n'


FAKE_MODELS = {"m1": "zoo:resnet18", "m2": "zoo:resnet18", "m3": "zoo:resnet18", "m4": "zoo:resnet18"}
FAKE_LATENCIES = {"m1": ["--fake-latency", "1ms"], "m2": ["--fake-latency", "2ms"], "m3": ["--fake-latency", "4ms"],
                  "m4": ["--fake-latency", "5ms"]}


@pytest.fixture(scope="module")
def test_cluster(tmp_path_factory: pytest.TempPathFactory, zoo_cache: Path) -> Iterator[Any]:
    pytest.importorskip("ray")
    cache = tmp_path_factory.mktemp("cluster-cache")
    started = ray_cluster.start(["n1", "n2", "n3"], {"INFERMETER_CLUSTER_CACHE": str(cache),
                                                     "INFERMETER_CACHE_DIR": str(zoo_cache)})
    started.cache = cache
    try:
        yield started
    finally:
        started.close()


def drive(test_cluster: Any, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "infermeter", *args], capture_output=True, text=True, check=False,
                          timeout=DRIVER_TIMEOUT_S, cwd=cwd, env=ray_cluster.driver_environment(test_cluster))


def runs_of(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [run for point in data["points"] for run in point["runs"]]


def point_processes(marker: str) -> list[int]:
    """Pids of ``infermeter run`` processes whose command line holds ``marker`` (this test's files)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        text = [part.decode(errors="replace") for part in command]
        if "infermeter" in text and "run" in text and any(marker in part for part in text):
            found.append(int(entry.name))
    return found


def wait_until_gone(marker: str, limit_s: float = 20.0) -> list[int]:
    deadline = time.monotonic() + limit_s
    while point_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    return point_processes(marker)


# --- scheduling and results -------------------------------------------------------------------------------------


def test_a_fake_suite_on_the_cluster_matches_the_local_run_exactly(test_cluster: Any, tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(suite_text(FAKE_MODELS, FAKE, rounds=2, options=FAKE_LATENCIES))
    local = drive(test_cluster, "suite", "s.toml", "-x", "local.json", "-q", cwd=tmp_path)
    remote = drive(test_cluster, "suite", "s.toml", "-x", "ray.json", "-q", "--cluster", test_cluster.address,
                   cwd=tmp_path)
    assert (local.returncode, remote.returncode) == (0, 0), remote.stderr
    assert remote.stdout == local.stdout  # the same numbers: the fake engine is exact
    runs = runs_of(tmp_path / "ray.json")
    assert len(runs) == 8 and all(run["error"] is None for run in runs)
    nodes = {run["placement"]["node"] for run in runs}
    assert nodes <= {"n1", "n2", "n3"} and len(nodes) >= 2  # spread over the nodes
    for node in nodes:  # one point per node at a time: the node's task windows never overlap
        windows = sorted((r["placement"]["started_unix_ns"], r["placement"]["ended_unix_ns"]) for r in runs
                         if r["placement"]["node"] == node)
        assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(windows)), windows
    assert all(run["report"]["environment"]["hostname"] for run in runs)  # the node's own environment
    assert all(run["placement"]["cpus"] == 1 and run["placement"]["attempts"] == 1 for run in runs)
    local_data = json.loads((tmp_path / "local.json").read_text())
    remote_data = json.loads((tmp_path / "ray.json").read_text())
    assert remote_data["geomeans"] == local_data["geomeans"] and remote_data["cluster"] == test_cluster.address


@pytest.mark.onnxruntime
def test_four_real_models_locally_and_on_the_cluster(test_cluster: Any, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from parity_models import image_model

    models = {f"conv{size}": str(image_model(tmp_path / f"conv{size}.onnx", [1, 3, size, size]))
              for size in (8, 16, 24, 32)}
    (tmp_path / "s.toml").write_text(suite_text(models, ["-e", "onnxruntime", "-api", "sync", "-t", "0.3",
                                                         "--no-warmup"]))
    local = drive(test_cluster, "suite", "s.toml", "-x", "local.json", cwd=tmp_path)
    remote = drive(test_cluster, "suite", "s.toml", "-x", "ray.json", "--cluster", test_cluster.address, cwd=tmp_path)
    assert (local.returncode, remote.returncode) == (0, 0), remote.stderr
    for name in ("local.json", "ray.json"):
        assert "geometric mean" in (local.stdout if name == "local.json" else remote.stdout)
    ours = json.loads((tmp_path / "local.json").read_text())["geomeans"]["c"]["throughput"]["estimate"]
    theirs = json.loads((tmp_path / "ray.json").read_text())["geomeans"]["c"]["throughput"]["estimate"]
    assert 0.2 < theirs / ours < 5  # the same table up to noise: 0.3-s points on a shared 2-core machine
    assert all(run["report"]["memory"]["compile_bytes"] > 0 for run in runs_of(tmp_path / "ray.json"))


def test_a_selector_pins_the_points_and_one_that_matches_nothing_is_refused(test_cluster: Any,
                                                                            tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(suite_text({"m1": "zoo:resnet18", "m2": "zoo:resnet18"}, FAKE))
    done = drive(test_cluster, "suite", "s.toml", "-x", "r.json", "-q", "--cluster", test_cluster.address,
                 "--cluster-nodes", "infermeter-name=n2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert {run["placement"]["node"] for run in runs_of(tmp_path / "r.json")} == {"n2"}
    done = drive(test_cluster, "suite", "s.toml", "--cluster", test_cluster.address, "--cluster-nodes",
                 "infermeter-name=n9", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == ("infermeter: error: --cluster: no live node with CPUs matching --cluster-nodes "
                           "'infermeter-name=n9' in the cluster\n")


def test_a_fleet_run_measures_every_model_on_every_node(test_cluster: Any, tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(suite_text({"m1": "zoo:resnet18", "m2": "zoo:resnet18"}, FAKE,
                                                options={"m1": ["--fake-latency", "1ms"],
                                                         "m2": ["--fake-latency", "4ms"]}))
    done = drive(test_cluster, "suite", "s.toml", "-x", "f.json", "--cluster", test_cluster.address, "--each-node",
                 cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "f.json").read_text())
    assert data["nodes"] == ["n1", "n2", "n3"]
    assert sorted((p["node"], p["runs"][0]["placement"]["node"]) for p in data["points"]) == [
        ("n1", "n1"), ("n1", "n1"), ("n2", "n2"), ("n2", "n2"), ("n3", "n3"), ("n3", "n3")]
    rows = [line for line in done.stdout.splitlines() if line.startswith("│ n")]
    assert rows == [f"│ {n}      │ 1,000.0 ± 0.0 │ 250.0 ± 0.0 │ 500.0 ± 0.0 (within-run CIs) │        500.0 │    1 │"
                    for n in ("n1", "n2", "n3")]


@pytest.mark.onnxruntime
def test_model_files_are_shipped_through_ray(test_cluster: Any, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from parity_models import image_model

    model = image_model(tmp_path / "tiny.onnx", [1, 3, 8, 8])
    (tmp_path / "s.toml").write_text(suite_text({"tiny": str(model)}, ["-e", "onnxruntime", "-niter", "20"]))
    done = drive(test_cluster, "suite", "s.toml", "-x", "r.json", "-q", "--cluster", test_cluster.address,
                 "--cluster-files", "ship", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (run,) = runs_of(tmp_path / "r.json")
    assert run["report"]["model"]["path"].startswith(str(test_cluster.cache))  # the node's copy, not ours
    assert Path(run["report"]["model"]["path"]).read_bytes() == model.read_bytes()


def test_a_sweep_on_the_cluster(test_cluster: Any, tmp_path: Path) -> None:
    done = drive(test_cluster, "sweep", "zoo:resnet18", "-e", "fake", "--nireq", "1,2", "-niter", "20", "-x",
                 "w.json", "-q", "--no-save-best", "--cluster", test_cluster.address, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2 of 2 points measured · best (throughput): -nireq 2 2,000.0 items/s, median 1.000 ms\n"
    points = json.loads((tmp_path / "w.json").read_text())["points"]
    assert all(len(point["placements"]) == 1 for point in points)


# --- failures ----------------------------------------------------------------------------------------------------


@pytest.mark.onnxruntime
def test_ctrl_c_cancels_the_running_points_and_keeps_the_finished_ones(test_cluster: Any, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from parity_models import image_model

    models = {f"m{k}": str(image_model(tmp_path / f"ctrlc{k}.onnx", [1, 3, 8, 8])) for k in range(3)}
    (tmp_path / "s.toml").write_text(suite_text(models, ["-e", "onnxruntime", "-api", "sync", "-t", "3",
                                                         "--no-warmup"], rounds=3))
    driver = subprocess.Popen([sys.executable, "-m", "infermeter", "suite", "s.toml", "-x", "r.json", "-q",
                               "--cluster", test_cluster.address], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=ray_cluster.driver_environment(test_cluster))
    try:
        deadline = time.monotonic() + 120
        while not ((tmp_path / "r.json").exists() and point_processes("ctrlc")) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (tmp_path / "r.json").exists() and point_processes("ctrlc"), "no point finished in time"
        driver.send_signal(signal.SIGINT)
        _, err = driver.communicate(timeout=60)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.communicate()
    assert driver.returncode == 130, err
    assert err.splitlines()[-1] == "infermeter: interrupted: finished points are reported, the suite is partial"
    data = json.loads((tmp_path / "r.json").read_text())
    finished = [run for point in data["points"] for run in point["runs"]]
    assert data["interrupted"] and 1 <= len(finished) < 9 and all(run["error"] is None for run in finished)
    assert wait_until_gone("ctrlc") == []  # the cancelled points' processes are gone


@pytest.mark.onnxruntime
def test_a_node_that_dies_fails_its_point_which_is_retried_once_elsewhere(test_cluster: Any, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from parity_models import image_model

    model = image_model(tmp_path / "dies.onnx", [1, 3, 8, 8])
    (tmp_path / "s.toml").write_text(suite_text({"dies": str(model)}, ["-e", "onnxruntime", "-api", "sync", "-t",
                                                                       "4", "--no-warmup"]))
    driver = subprocess.Popen([sys.executable, "-m", "infermeter", "suite", "s.toml", "-x", "r.json",
                               "--cluster", test_cluster.address], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=ray_cluster.driver_environment(test_cluster))
    killed = None
    try:
        deadline = time.monotonic() + 120
        while not point_processes("dies.onnx") and time.monotonic() < deadline:
            time.sleep(0.1)
        (pid,) = point_processes("dies.onnx")
        killed = test_cluster.node_of(pid)
        test_cluster.kill(killed)
        out, err = driver.communicate(timeout=DRIVER_TIMEOUT_S)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.communicate()
        if killed is not None:
            test_cluster.add(killed)  # the next tests get three nodes again
    assert driver.returncode == 0, err
    (run,) = runs_of(tmp_path / "r.json")
    placement = run["placement"]
    assert run["error"] is None and placement["attempts"] == 2 and placement["node"] != killed
    assert placement["retry_reason"].startswith(f"node {killed} died (")
    assert f"retried: dies · c round 1 ran again on {placement['node']}: node {killed} died" in out
    assert wait_until_gone("dies.onnx") == []  # the killed node's point process went with it


# --- bad input ---------------------------------------------------------------------------------------------------


def test_an_address_that_refuses_is_one_line_at_once(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    (tmp_path / "s.toml").write_text(suite_text({"m": "zoo:resnet18"}, FAKE))
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "infermeter", "suite", "s.toml", "--cluster", "127.0.0.1:9",
                           "--cluster-timeout", "3"], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          check=False, env={**os.environ, **ray_cluster.LOOPBACK_ENV})
    assert done.returncode == 2 and time.monotonic() - began < 30
    assert done.stderr == ("infermeter: error: --cluster 127.0.0.1:9: the Ray cluster does not answer at "
                           "127.0.0.1:9 within 3 s (Connection refused); is it started (ray start --head) and "
                           "reachable?\n")


def test_an_address_that_does_not_answer_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    def silent(address: tuple[str, int], timeout: float) -> None:
        raise TimeoutError

    monkeypatch.setattr(cluster.socket, "create_connection", silent)
    with pytest.raises(UsageError, match=r"does not answer at 10\.9\.9\.9:10001 within 2 s \(no answer\)"):
        cluster.probe("ray://10.9.9.9:10001", 2.0)


def test_cluster_without_ray_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UsageError) as caught:
        cluster.connect(cluster_nodes.ClusterOptions("auto"))
    assert str(caught.value) == "--cluster needs Ray, which is not installed: pip install 'infermeter[ray]'"


@pytest.mark.parametrize(("text", "message"), [
    ("RAY_ADDRESS", "the RAY_ADDRESS variable is not set"), ("http://x", "expected ray://HOST:PORT"),
    ("ray://head:1:2", "expected ray://HOST:PORT")])
def test_bad_addresses(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        cluster.resolve_address(text, {})
    assert cluster.resolve_address("RAY_ADDRESS", {"RAY_ADDRESS": "ray://h:1"}) == "ray://h:1"


def test_selectors() -> None:
    terms = cluster_nodes.parse_selector("zone=a,gpu_box,ip=10.0.0.1")
    assert cluster_nodes.node_matches(terms, "abc", "10.0.0.1", {"zone": "a"}, {"gpu_box": 1.0})
    assert not cluster_nodes.node_matches(terms, "abc", "10.0.0.2", {"zone": "a"}, {"gpu_box": 1.0})
    assert not cluster_nodes.node_matches(terms, "abc", "10.0.0.1", {"zone": "a"}, {})
    with pytest.raises(UsageError, match="expected KEY=VALUE"):
        cluster_nodes.parse_selector("zone=")
