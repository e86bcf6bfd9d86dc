"""Golden (snapshot) tests of what users read: the console report of ``infermeter run`` (sync, async, a session,
``-q``), its Markdown exports, ``infermeter compare`` (plain and ``--markdown``, a regression with exit 4) and
``infermeter sweep``, all on the fake engine (virtual clock and seeded latencies: every number is exact).

Each file under tests/golden/ holds the commands of one case with their exit code, stdout, stderr and the files
they wrote, compared exactly. After a deliberate change to what users read, rewrite the files and review the diff:

    pytest tests/test_golden.py --update-golden      (or INFERMETER_UPDATE_GOLDEN=1 pytest tests/test_golden.py)
    git diff tests/golden/

Output is deterministic by construction: no terminal (rich's piped width, PIPED_WIDTH columns), NO_COLOR and
TERM=dumb, a private cache folder, the fake engine with seed 0. Only what differs between machines is replaced,
by the substitutions in ``normalise``: the temporary folder and infermeter's version. Trailing spaces (rich pads
table lines to the console width) are dropped from every line; nothing else is touched, numbers included.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from infermeter import __version__, cli
from infermeter.results.report import Report
from infermeter.runs import sweep as sweep_runner
from infermeter.runs.sweep import Outcome

GOLDEN = Path(__file__).parent / "golden"
UPDATE_VARIABLE = "INFERMETER_UPDATE_GOLDEN"

FAKE = ("zoo:resnet18", "-e", "fake", "--fake-latency", "lognormal:5ms,0.2", "--seed", "0")
SYNC = ("run", *FAKE, "-api", "sync", "-niter", "400")
ASYNC = ("run", *FAKE, "-api", "async", "-nireq", "4", "--fake-contention", "0.25", "-niter", "400")
ROUNDS = ("run", *FAKE, "-api", "sync", "-niter", "200", "--rounds", "3")
SESSION = ("run", *FAKE, "-api", "async", "-nireq", "1,2", "--rounds", "2", "--fake-contention", "0.25",
           "-niter", "200")


@dataclass(frozen=True)
class Step:
    args: tuple[str, ...]
    files: tuple[str, ...] = ()  # files the command writes that users read, shown after its output


def step(*args: str, files: Sequence[str] = ()) -> Step:
    return Step(tuple(args), tuple(files))


def slower(command: Sequence[str], median: str) -> tuple[str, ...]:
    """``command`` with the fake engine's median latency changed: the candidate of a comparison."""
    return tuple(token.replace("lognormal:5ms", f"lognormal:{median}") for token in command)


SWEEP = ("sweep", *FAKE, "-api", "async", "-niter", "100", "--fake-contention", "0.25", "--nireq", "1,2,4")

CASES: dict[str, tuple[Step, ...]] = {
    "run-sync": (step(*SYNC),),
    "run-async": (step(*ASYNC),),
    "run-quiet": (step(*SYNC, "-q"), step(*ASYNC, "-q")),
    "run-session": (step(*SESSION),),
    "run-session-quiet": (step(*SESSION, "-q"),),
    "markdown-run": (step(*ASYNC, "-q", "--export-markdown", "report.md", files=["report.md"]),),
    "markdown-session": (step(*SESSION, "-q", "--export-markdown", "session.md", files=["session.md"]),),
    # single runs: within-run CIs only, so no verdict and exit 0 however large the change
    "compare-single-runs": (
        step(*SYNC, "-q", "-x", "A.json"), step(*slower(SYNC, "6ms"), "-q", "-x", "B.json"),
        step("compare", "A.json", "B.json"), step("compare", "A.json", "B.json", "--markdown")),
    # sessions of 3 rounds: B 20% slower is a regression (exit 4); the other way round an improvement (exit 0)
    "compare-regression": (
        step(*ROUNDS, "-q", "-x", "A.json"), step(*slower(ROUNDS, "6ms"), "-q", "-x", "B.json"),
        step("compare", "A.json", "B.json"), step("compare", "A.json", "B.json", "--markdown"),
        step("compare", "B.json", "A.json", "--markdown")),
    "sweep": (step(*SWEEP, "-x", "out/sweep.json", files=["out/best-config.json"]),),
    "sweep-no-file": (step(*SWEEP),),  # no file of its own: the best configuration is not saved anywhere
    "sweep-quiet": (step(*SWEEP, "-q", "--export-markdown", "sweep.md", files=["sweep.md"]),),
}


def normalise(text: str, work: Path) -> str:
    """The substitutions that make a snapshot independent of the machine and the run (see the module doc)."""
    for real, placeholder in ((str(work), "<tmp>"), (f"fake {__version__}", "fake <version>"),
                              (f"infermeter {__version__}", "infermeter <version>")):
        text = text.replace(real, placeholder)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def inprocess_point(folder: Path) -> sweep_runner.RunPoint:
    """A sweep point as ``infermeter run ARGV -x FILE -q`` in this process: the numbers of the subprocess the
    sweep starts for real, without its start-up time."""
    calls: list[int] = []

    def run(argv: list[str], timeout_s: float | None) -> Outcome:
        calls.append(1)
        path = folder / f"point-{len(calls)}.json"
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = cli.main(["run", *argv, "-x", str(path), "-q"])
        if code != 0:
            return Outcome(None, err.getvalue().strip().splitlines()[-1].removeprefix("infermeter: error: "))
        return Outcome(Report.from_dict(json.loads(path.read_text(encoding="utf-8"))), None)

    return run


def transcript(steps: Sequence[Step], work: Path, capsys: pytest.CaptureFixture[str]) -> str:
    parts = []
    for item in steps:
        capsys.readouterr()
        code = cli.main(list(item.args))
        captured = capsys.readouterr()
        parts.append(f"$ infermeter {shlex.join(item.args)}\n--- exit code {code}\n--- stdout\n{captured.out}"
                     f"--- stderr\n{captured.err}")
        for name in item.files:
            path = work / name
            content = path.read_text(encoding="utf-8") if path.exists() else "(not written)\n"
            parts.append(f"--- file {name}\n{content}")
    written = sorted(str(path.relative_to(work)) for path in work.rglob("*") if path.is_file())
    parts.append(f"--- files in the current folder afterwards: {', '.join(written) or 'none'}\n")
    return normalise("".join(parts), work)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder of every command, with the environment pinned: no colour, no terminal width, a
    private cache, sweep points in-process."""
    folder = tmp_path / "work"
    (folder / "out").mkdir(parents=True)
    points = tmp_path / "points"
    points.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("INFERMETER_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sweep_runner, "run_point_subprocess", inprocess_point(points))
    return folder


def updating(config: pytest.Config) -> bool:
    return bool(config.getoption("--update-golden")) or os.environ.get(UPDATE_VARIABLE, "") not in ("", "0")


@pytest.mark.parametrize("name", CASES)
def test_output_matches_the_golden_file(name: str, work: Path, capsys: pytest.CaptureFixture[str],
                                        request: pytest.FixtureRequest) -> None:
    actual = transcript(CASES[name], work, capsys)
    path = GOLDEN / f"{name}.txt"
    if updating(request.config):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: create it with pytest tests/test_golden.py --update-golden"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (f"the output of case {name!r} changed: if that is intended, rerun with "
                                f"--update-golden and review git diff {path.relative_to(GOLDEN.parent.parent)}")


def test_every_golden_file_belongs_to_a_case() -> None:
    assert sorted(path.stem for path in GOLDEN.glob("*.txt")) == sorted(CASES)
    assert sorted(path.name for path in GOLDEN.iterdir()) == sorted(f"{name}.txt" for name in CASES)


def test_normalise_replaces_only_what_varies(tmp_path: Path) -> None:
    text = f"fake {__version__} · 1.000 ms  \n{tmp_path}/out/best-config.json\nmade by infermeter {__version__}"
    assert normalise(text, tmp_path) == ("fake <version> · 1.000 ms\n<tmp>/out/best-config.json\n"
                                         "made by infermeter <version>")
