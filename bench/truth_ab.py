"""Does infermeter's A/B verdict tell the truth on this noisy machine?

Two conditions, interleaved rep by rep (A/A, A/B, A/A, A/B, … with the order flipped every other rep):

- A/A: the same configuration twice (ONNX Runtime, -api sync) measured in interleaved rounds. Any
  "significant difference" is a false alarm.
- A/B: the same, but B is ONNX Runtime with an added busy-wait of ``--slowdown`` (5 %) of each call's own
  latency, after the call. A verdict "slower" is a detection.

Every rep is one ``infermeter.compare_configurations`` session (what ``infermeter run -e x,y --rounds N``
does). From the same sessions the script also scores shorter runs (the first k rounds only) and the
single-run comparison (round 1 of each side, within-run CIs), to show the run length needed.

Usage: python bench/truth_ab.py [--reps 40] [--rounds 10] [--seconds 1.5] [--model zoo:resnet18]
Writes bench/results/truth_ab.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import cpu_model, ensure_models

import infermeter
from infermeter.analysis.compare import NO_DIFFERENCE, SLOWER, compare_runs
from infermeter.engines import create_engine
from infermeter.stats.intervals import t_quantile_975

HERE = Path(__file__).resolve().parent
SLOW_ENGINE = "onnxruntime-slowed"


class _Slowed:
    """Wraps an engine object so every session's infer() busy-waits a fraction of its own duration."""

    def __init__(self, inner: Any, fraction: float) -> None:
        self._inner = inner
        self._fraction = fraction

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name in ("read", "compile"):
            return lambda *args, **kwargs: _Slowed(value(*args, **kwargs), self._fraction)
        if name == "create_session":
            return lambda inputs: _SlowedSession(value(inputs), self._fraction)
        return value


class _SlowedSession:
    def __init__(self, session: Any, fraction: float) -> None:
        inner, clock = session.infer, time.perf_counter_ns

        def infer() -> None:
            began = clock()
            inner()
            ended = clock()
            until = ended + int((ended - began) * fraction)
            while clock() < until:
                pass

        self.infer = infer


def register_slowed_engine(fraction: float) -> None:
    def factory(config: Any) -> Any:
        return _Slowed(create_engine("onnxruntime", config), fraction)

    infermeter.register_engine(SLOW_ENGINE, factory)


def one_session(model: str | Path, second: str, rounds: int, seconds: float, seed: int, warmup: str = "0.1s") -> Any:
    return infermeter.compare_configurations(
        str(model), [{"engine": "onnxruntime"}, {"engine": second}], rounds=rounds, seed=seed, api="sync",
        time=seconds, warmup=warmup)


def score(session: Any, rounds: int, metric: str) -> tuple[str, float]:
    """Verdict and ratio using the first ``rounds`` rounds (paired), or round 1 alone (single runs)."""
    a, b = session.runs(0), session.runs(1)
    if rounds == 1:
        comparison = compare_runs(a[:1], b[:1], metric)
    else:
        comparison = compare_runs(a[:rounds], b[:rounds], metric, paired=True)
    if comparison is None:
        return "none", float("nan")
    if not comparison.decisive:  # score what the within-run interval alone would have claimed
        comparison = dataclasses.replace(comparison, method="single runs, scored as if decisive")
    return comparison.verdict, comparison.ratio.estimate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--slowdown", type=float, default=0.05)
    parser.add_argument("--model", default="zoo:resnet18", help="zoo:NAME or a make_models.py name")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "truth_ab.md")
    parser.add_argument("--rescore", type=Path, metavar="RAW.json", help="only print the run-length table from the "
                        "per-round values a previous run saved (same --seconds)")
    options = parser.parse_args()
    if options.rescore:
        print(run_length_needed(json.loads(options.rescore.read_text()), options))
        return 0
    model: str | Path = options.model
    if not options.model.startswith("zoo:"):
        ensure_models(HERE / "models", [options.model])
        model = HERE / "models" / f"{options.model}.onnx"
    register_slowed_engine(options.slowdown)
    outcomes: dict[str, list[Any]] = {"A/A": [], "A/B": []}
    began = time.monotonic()
    for rep in range(options.reps):
        conditions = [("A/A", "onnxruntime"), ("A/B", SLOW_ENGINE)]
        for name, second in conditions if rep % 2 == 0 else conditions[::-1]:
            session = one_session(model, second, options.rounds, options.seconds, seed=rep)
            outcomes[name].append(session)
            scores = [(metric, *score(session, options.rounds, metric)) for metric in ("median", "p10", "throughput")]
            print(f"rep {rep + 1:2d} {name}: " + " · ".join(f"{m} B/A {r:.4f} {v}" for m, v, r in scores), flush=True)
    elapsed = time.monotonic() - began
    raw = {name: [[[(r.latency.minimum, r.latency.percentile(10), r.latency.median, r.latency.mean, r.throughput,
                     r.count) for r in session.runs(i)] for i in (0, 1)]
                  for session in sessions] for name, sessions in outcomes.items()}
    table = summarise(outcomes, options) + "\n" + run_length_needed(raw, options)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(header(options, elapsed) + table)
    options.out.with_suffix(".json").write_text(json.dumps(raw))
    print(table)
    return 0


RAW_COLUMNS = {"p10": 1, "median": 2, "throughput": 4}


def run_length_needed(raw: dict[str, Any], options: argparse.Namespace) -> str:
    """From the per-round values: the spread of per-round log ratios (A/A), the measured effect (A/B), and the
    number of paired rounds at which a one-sided normal approximation gives 95 % detection of that effect
    (the CI bound t·σ/√R and the 2 % threshold both have to be cleared)."""
    lines = ["| metric | σ per-round log ratio (A/A) | mean A/B effect | rounds for 95 % detection | time per side |",
             "|---|---|---|---|---|"]
    for metric, column in RAW_COLUMNS.items():
        sign = -1.0 if metric == "throughput" else 1.0
        spreads = [np.std(_log_ratios(session, column), ddof=1) for session in raw["A/A"]]
        effects = [sign * float(np.mean(_log_ratios(session, column))) for session in raw["A/B"]]
        sigma, effect = float(np.sqrt(np.mean(np.square(spreads)))), float(np.mean(effects))
        needed = next((r for r in range(2, 2001) if _power(effect, sigma, r) >= 0.95), None)
        rounds = str(needed) if needed else "> 2000"
        seconds = f"{needed * options.seconds:g} s" if needed else "–"
        lines.append(f"| {metric} | {sigma:.1%} | {effect:+.1%} | {rounds} | {seconds} |")
    return "\n".join(lines) + "\n"


def _log_ratios(session: list[list[list[float]]], column: int) -> np.ndarray:
    a = np.array([values[column] for values in session[0]], dtype=np.float64)
    b = np.array([values[column] for values in session[1]], dtype=np.float64)
    common = min(len(a), len(b))
    return np.log(b[:common] / a[:common])


def _power(effect: float, sigma: float, rounds: int) -> float:
    error = sigma / math.sqrt(rounds)
    bound = max(t_quantile_975(rounds - 1) * error, math.log(1.02))
    return 0.5 * math.erfc(-(effect - bound) / (error * math.sqrt(2)))


def summarise(outcomes: dict[str, list[Any]], options: argparse.Namespace) -> str:
    lines = ["| metric | rounds used | time per side | A/A: significant difference | A/B: detected as slower |",
             "|---|---|---|---|---|"]
    for metric in ("median", "p10", "throughput"):
        for rounds in sorted({1, 2, 3, 5, 7, options.rounds} & set(range(1, options.rounds + 1))):
            false_alarms = sum(score(s, rounds, metric)[0] != NO_DIFFERENCE for s in outcomes["A/A"])
            detected = sum(score(s, rounds, metric)[0] == SLOWER for s in outcomes["A/B"])
            how = "1 (single runs, within-run CIs)" if rounds == 1 else f"{rounds} (paired)"
            n_aa, n_ab = len(outcomes["A/A"]), len(outcomes["A/B"])
            lines.append(f"| {metric} | {how} | {rounds * options.seconds:g} s | {false_alarms}/{n_aa} "
                         f"({false_alarms / max(n_aa, 1):.0%}) | {detected}/{n_ab} ({detected / max(n_ab, 1):.0%}) |")
    return "\n".join(lines) + "\n"


def header(options: argparse.Namespace, elapsed: float) -> str:
    return (f"# A/A false alarms and 5 % slowdown detection\n\n"
            f"{datetime.date.today()} · {cpu_model()} · infermeter {infermeter.__version__} · model "
            f"{options.model} (ONNX Runtime, -api sync, -w 0.1s) · {options.reps} reps per condition, A/A and "
            f"A/B interleaved · {options.rounds} rounds × {options.seconds:g} s per side · slowdown "
            f"{options.slowdown:.0%} busy-wait per call · threshold 2 % · {elapsed / 60:.1f} min\n\n"
            "`python bench/truth_ab.py --reps {0} --rounds {1} --seconds {2:g} --model {3}`\n\n".format(
                options.reps, options.rounds, options.seconds, options.model))


if __name__ == "__main__":
    raise SystemExit(main())
