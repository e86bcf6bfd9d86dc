"""The dataclass <-> JSON codec of the data model (results/codec.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from infermeter.config.benchmark import BenchmarkConfig, build_config
from infermeter.config.output import build_output_options
from infermeter.config.tuning import build_tuning
from infermeter.results.codec import OMIT_IF_NONE, from_data, from_dict, to_data
from infermeter.results.facts import number_or_text


@dataclass(frozen=True)
class Inner:
    size: int
    label: str | None = None


@dataclass(frozen=True, kw_only=True)
class Outer:
    name: str
    inner: Inner
    rate: float = 0.0
    flags: tuple[str, ...] = ()
    pair: tuple[str | None, int] = (None, 0)
    table: Mapping[str, int | float | bool | str | None] = field(default_factory=dict)
    nested: tuple[tuple[Inner, ...], ...] = ()
    path: Path | None = None
    extra: Inner | None = field(default=None, metadata=OMIT_IF_NONE)


FULL = Outer(name="o", inner=Inner(3, "x"), rate=0.1, flags=("a", "b"), pair=("k", 2),
             table={"i": 2, "f": 0.5, "b": True, "s": "2", "n": None}, nested=((Inner(1),), ()),
             path=Path("/tmp/x.npy"), extra=Inner(4))


def test_round_trip_through_json_is_equal_and_keeps_types() -> None:
    data = json.loads(json.dumps(to_data(FULL)))
    back = from_dict(Outer, data)
    assert back == FULL
    assert type(back.table["i"]) is int and type(back.table["f"]) is float and back.table["b"] is True
    assert back.table["s"] == "2"  # text stays text: the codec never guesses


def test_fields_in_declaration_order_and_omitted_when_asked() -> None:
    data = to_data(Outer(name="o", inner=Inner(1)))
    assert list(data) == ["name", "inner", "rate", "flags", "pair", "table", "nested", "path"]
    assert data["inner"] == {"size": 1, "label": None} and data["pair"] == [None, 0]


def test_missing_keys_take_defaults_unknown_keys_are_ignored() -> None:
    back = from_dict(Outer, {"name": "o", "inner": {"size": 1}, "later": [1, 2]})
    assert back == Outer(name="o", inner=Inner(1))


@pytest.mark.parametrize(("data", "message"), [
    ({"inner": {"size": 1}}, "'name'"),
    ({"name": "o", "inner": {"size": True}}, "inner.size: expected int, got True"),
    ({"name": "o", "inner": {"size": 1.0}}, "inner.size: expected int, got 1.0"),
    ({"name": 3, "inner": {"size": 1}}, "name: expected str, got 3"),
    ({"name": "o", "inner": []}, "inner: expected an object"),
    ({"name": "o", "inner": {"size": 1}, "flags": "ab"}, "flags: expected a list"),
    ({"name": "o", "inner": {"size": 1}, "pair": ["a"]}, "pair: expected 2 items, got 1"),
    ({"name": "o", "inner": {"size": 1}, "table": {"k": [1]}}, "table.k: expected"),
    ({"name": "o", "inner": {"size": 1}, "rate": "1"}, "rate: expected float"),
])
def test_wrong_values_name_their_path(data: dict[str, Any], message: str) -> None:
    with pytest.raises((TypeError, KeyError), match=message):
        from_dict(Outer, data)


def test_an_int_is_read_as_a_float_where_a_float_belongs() -> None:
    back = from_dict(Outer, {"name": "o", "inner": {"size": 1}, "rate": 2})
    assert back.rate == 2.0 and type(back.rate) is float
    assert from_data(int | float, 2) == 2 and type(from_data(int | float, 2)) is int


def test_benchmark_config_round_trip_is_lossless(tmp_path: Path) -> None:
    import numpy as np

    np.save(tmp_path / "data.npy", np.zeros((2, 3, 8, 8), dtype=np.float32))
    tuning = build_tuning(nstreams="2", pin="YES", iop="x:f16", layout="x[NCHW]", mean_values="[1,2,3]",
                          scale_values="x[0.5,0.5,0.5]", perf_counts=True)
    config = build_config("model.onnx", engine="openvino", api="async", nireq=4, hint="tput", time="2.5",
                          warmup="3it", batch=2, shape="x[2,3,?,8]", dim={"seq": 7},
                          inputs=f"x:{tmp_path / 'data.npy'}", seed=5, infer_precision="f32", nthreads=3,
                          on_error="continue", rel_precision="1%",
                          max_time=30, data_shape="[1,3,8,8][1,3,4,4]", max_irate="250.5", tuning=tuning,
                          output=build_output_options(pc=True, pcsort="sort", latency_percentile=90))
    data = json.loads(json.dumps(to_data(config)))
    assert from_dict(BenchmarkConfig, data) == config
    assert data["input_files"] == [{"input": "x", "path": str(tmp_path / "data.npy")}]
    assert data["shapes"] == [{"input": "x", "dims": [2, 3, None, 8]}]


@pytest.mark.parametrize(("text", "value"), [
    ("2", 2), ("-3", -3), ("0.5", 0.5), ("1e-05", 1e-05), ("1.0", 1.0), ("0.50", "0.50"), ("007", "007"),
    ("1_000", "1_000"), (" 2", " 2"), ("nan", "nan"), ("inf", "inf"), ("YES", "YES"), ("", ""), ("2.5e3", "2.5e3"),
])
def test_number_or_text_keeps_the_text_unless_it_spells_the_number_exactly(text: str, value: Any) -> None:
    assert number_or_text(text) == value and type(number_or_text(text)) is type(value)
    assert str(number_or_text(text)) == text
