"""Unit tests for infermeter.config: build_config and the -shape / --dim / -i parsers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infermeter.config.benchmark import (
    DEFAULT_DURATION_NS,
    DEFAULT_WARMUP_NS,
    BenchmarkConfig,
    InputFile,
    ShapeOverride,
    StopRule,
    Warmup,
    build_config,
    parse_dims,
    parse_input_files,
    parse_shapes,
)
from infermeter.errors import InputError, UsageError

S = 1_000_000_000
MS = 1_000_000


def cfg(**kwargs: Any) -> BenchmarkConfig:
    return build_config("zoo:resnet18", **kwargs)


# ---------------------------------------------------------------- defaults and scenarios


def test_defaults() -> None:
    config = cfg()
    assert config.model == "zoo:resnet18"
    assert config.engine is None
    assert config.device == "CPU"
    assert config.scenario == "throughput"
    assert config.requests is None
    assert config.hint is None
    assert config.stop == StopRule(min_iterations=0, min_duration_ns=10 * S)
    assert DEFAULT_DURATION_NS == 10 * S
    assert config.warmup == Warmup(duration_ns=1 * S)
    assert DEFAULT_WARMUP_NS == 1 * S
    assert config.warmup.enabled
    assert config.batch is None
    assert config.shapes == ()
    assert config.dims == {}
    assert config.input_files == ()
    assert config.seed == 0
    assert config.threads is None
    assert config.fake.latency == "1ms"
    assert config.fake.first_call_ns == 0
    assert config.fake.fail_at is None


def test_empty_model_rejected() -> None:
    with pytest.raises(UsageError, match="no model given"):
        build_config("")


@pytest.mark.parametrize(
    ("api", "scenario"),
    [("sync", "latency"), ("async", "throughput"), ("latency", "latency"), ("throughput", "throughput"),
     ("SYNC", "latency"), ("Async", "throughput")],
)
def test_api_selects_scenario(api: str, scenario: str) -> None:
    assert cfg(api=api).scenario == scenario


def test_unknown_api_rejected() -> None:
    with pytest.raises(UsageError, match=r"^-api 'batch' is not one of: sync, async"):
        cfg(api="batch")


def test_hint_latency_without_api_gives_latency_scenario() -> None:
    config = cfg(hint="latency")
    assert config.scenario == "latency"
    assert config.hint == "latency"


@pytest.mark.parametrize("hint", ["throughput", "tput", "TPUT", "Throughput"])
def test_hint_throughput_and_tput_alias(hint: str) -> None:
    config = cfg(hint=hint)
    assert config.hint == "throughput"
    assert config.scenario == "throughput"


def test_hint_none_keeps_default_scenario() -> None:
    config = cfg(hint="none")
    assert config.hint == "none"
    assert config.scenario == "throughput"


def test_api_wins_over_hint_for_scenario() -> None:
    config = cfg(api="async", hint="latency")
    assert config.scenario == "throughput"
    assert config.hint == "latency"
    config = cfg(api="sync", hint="tput")
    assert config.scenario == "latency"
    assert config.hint == "throughput"


def test_unknown_hint_rejected() -> None:
    with pytest.raises(UsageError,
                       match=r"^-hint 'fast' is not one of: latency, throughput, cumulative_throughput, none"):
        cfg(hint="fast")


def test_nireq_with_sync_rejected() -> None:
    with pytest.raises(UsageError, match=r"-nireq 4 needs -api async"):
        cfg(api="sync", nireq=4)
    with pytest.raises(UsageError, match=r"-nireq 4 needs -api async"):
        cfg(hint="latency", nireq="4")


def test_nireq_one_with_sync_and_any_with_async() -> None:
    assert cfg(api="sync", nireq=1).requests == 1
    assert cfg(api="async", nireq="4").requests == 4
    assert cfg(nireq=8).requests == 8


def test_device_is_stripped_and_empty_rejected() -> None:
    assert cfg(device=" GPU ").device == "GPU"
    with pytest.raises(UsageError, match="-d/--device is empty"):
        cfg(device="  ")


def test_engine_choice_is_case_insensitive() -> None:
    assert cfg(engine="FAKE").engine == "fake"
    assert cfg(engine="onnxruntime").engine == "onnxruntime"


def test_unknown_engine_lists_engines() -> None:
    with pytest.raises(UsageError) as info:
        cfg(engine="tensorrt")
    message = str(info.value)
    assert message.startswith("-e/--engine 'tensorrt' is not one of:")
    for name in ("openvino", "onnxruntime", "fake"):
        assert name in message


# ---------------------------------------------------------------- stop rule


def test_stop_rule_niter_only() -> None:
    assert cfg(niter=100).stop == StopRule(min_iterations=100, min_duration_ns=0)
    assert cfg(niter="7").stop == StopRule(min_iterations=7, min_duration_ns=0)


def test_stop_rule_time_only() -> None:
    assert cfg(time=2).stop == StopRule(min_iterations=0, min_duration_ns=2 * S)
    assert cfg(time="2.5").stop == StopRule(min_iterations=0, min_duration_ns=2_500 * MS)
    assert cfg(time=0.5).stop == StopRule(min_iterations=0, min_duration_ns=500 * MS)
    assert cfg(time="500ms").stop == StopRule(min_iterations=0, min_duration_ns=500 * MS)


def test_stop_rule_both_are_minimums() -> None:
    rule = cfg(niter=50, time="3s").stop
    assert rule == StopRule(min_iterations=50, min_duration_ns=3 * S)
    assert rule.describe() == "50 iterations and 3 s"


def test_stop_rule_time_zero_with_niter_is_niter_only() -> None:
    assert cfg(niter=5, time=0).stop == StopRule(min_iterations=5, min_duration_ns=0)


def test_stop_rule_niter_zero_is_compile_only() -> None:
    config = cfg(niter=0)
    assert config.compile_only and config.stop.min_iterations == 0 and config.stop.min_duration_ns == 0
    assert cfg(niter="0", time=5).compile_only
    assert not cfg(niter=1).compile_only


@pytest.mark.parametrize("time", [0, "0", "0s", 0.0])
def test_stop_rule_time_zero_alone_rejected(time: Any) -> None:
    with pytest.raises(UsageError, match=r"^-t 0 measures nothing"):
        cfg(time=time)


@pytest.mark.parametrize("time", ["-1", -2, "soon", "5 parsecs", True, float("inf"), "nan"])
def test_stop_rule_bad_time_names_flag(time: Any) -> None:
    with pytest.raises(UsageError, match=r"^-t[ :]"):
        cfg(time=time)


def test_stop_rule_describe() -> None:
    assert StopRule(min_iterations=10).describe() == "10 iterations"
    assert StopRule(min_duration_ns=1_500 * MS).describe() == "1.5 s"


# ---------------------------------------------------------------- warm-up


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2", Warmup(duration_ns=2 * S)), (2, Warmup(duration_ns=2 * S)), (0.5, Warmup(duration_ns=500 * MS)),
     ("500ms", Warmup(duration_ns=500 * MS)), ("80us", Warmup(duration_ns=80_000)),
     ("20it", Warmup(iterations=20)), ("20 it", Warmup(iterations=20)), ("3iter", Warmup(iterations=3)),
     ("5 iterations", Warmup(iterations=5)), ("4x", Warmup(iterations=4)), (" 7it ", Warmup(iterations=7))],
)
def test_warmup_parsing(value: Any, expected: Warmup) -> None:
    assert cfg(warmup=value).warmup == expected


def test_warmup_zero_disables() -> None:
    assert not cfg(warmup=0).warmup.enabled
    assert not cfg(warmup="0it").warmup.enabled


def test_no_warmup() -> None:
    warmup = cfg(no_warmup=True).warmup
    assert warmup == Warmup()
    assert not warmup.enabled
    assert warmup.describe() == "none"


def test_warmup_and_no_warmup_contradict() -> None:
    with pytest.raises(UsageError, match="contradict"):
        cfg(warmup="2", no_warmup=True)


@pytest.mark.parametrize("value", ["abc", "-1", "2 parsecs", "it"])
def test_bad_warmup_names_flag(value: str) -> None:
    with pytest.raises(UsageError, match=r"^-w/--warmup"):
        cfg(warmup=value)


def test_warmup_describe() -> None:
    assert Warmup(iterations=20).describe() == "20 iterations"
    assert Warmup(duration_ns=1_500 * MS).describe() == "1.5 s"


# ---------------------------------------------------------------- integer flags

_INT_FLAGS = {"batch": "-b/--batch", "nireq": "-nireq", "nthreads": "-nthreads", "niter": "-niter",
              "seed": "--seed"}
_BAD_VALUES = [0, -1, "-3", "abc", "", "1.5", 2.5, True, False]


_BAD_CASES = [(key, value) for key in _INT_FLAGS for value in _BAD_VALUES
              if not (key in ("seed", "niter") and value == 0 and not isinstance(value, bool))]
# seed 0 is the default; -niter 0 means compile only


@pytest.mark.parametrize(("key", "value"), _BAD_CASES, ids=repr)
def test_invalid_integer_flags_name_the_flag(key: str, value: Any) -> None:
    with pytest.raises(UsageError) as info:
        cfg(**{key: value})
    assert str(info.value).startswith(_INT_FLAGS[key]), str(info.value)


@pytest.mark.parametrize(("key", "attr"), [("batch", "batch"), ("nthreads", "threads"), ("seed", "seed")])
def test_valid_integer_flags(key: str, attr: str) -> None:
    assert getattr(cfg(**{key: 3}), attr) == 3
    assert getattr(cfg(**{key: " 12 "}), attr) == 12


def test_seed_zero_is_valid() -> None:
    assert cfg(seed=0).seed == 0
    assert cfg(seed="0").seed == 0


def test_seed_large_and_numpy_int() -> None:
    assert cfg(seed=2**40).seed == 2**40
    assert cfg(batch=np.int64(4)).batch == 4


# ---------------------------------------------------------------- fake engine options


@pytest.mark.parametrize(
    "spec",
    ["abc", "0ms", "-1ms", "cycle:", "cycle:,", "cycle:1ms,zero", "lognormal:5ms", "lognormal:5ms,x",
     "lognormal:5ms,9", "lognormal:5ms,-1", "gamma:1ms,2", "1e400ms"],
)
def test_bad_fake_latency_spec(spec: str) -> None:
    with pytest.raises(UsageError) as info:
        cfg(engine="fake", fake_latency=spec)
    assert str(info.value).startswith("--fake-latency"), str(info.value)


@pytest.mark.parametrize("spec", ["5ms", "5", "cycle:1ms,2ms,3ms", "lognormal:5ms,0.2", "80us"])
def test_good_fake_latency_spec(spec: str) -> None:
    assert cfg(engine="fake", fake_latency=spec).fake.latency == spec


def test_fake_first_call_and_fail_at() -> None:
    fake = cfg(engine="fake", fake_first_call="50ms", fake_fail_at="7").fake
    assert fake.first_call_ns == 50 * MS
    assert fake.fail_at == 7


def test_fake_only_options_need_fake_engine() -> None:
    with pytest.raises(UsageError, match="apply to --engine fake only"):
        cfg(engine="openvino", fake_first_call="5ms")
    with pytest.raises(UsageError, match="apply to --engine fake only"):
        cfg(fake_fail_at=3)


def test_fake_fail_at_must_be_positive() -> None:
    with pytest.raises(UsageError, match=r"^--fake-fail-at must be 1 or more"):
        cfg(engine="fake", fake_fail_at=0)


# ---------------------------------------------------------------- -shape


def test_parse_shapes_unnamed() -> None:
    assert parse_shapes("[1,3,224,224]") == (ShapeOverride(None, (1, 3, 224, 224)),)


def test_parse_shapes_named_several() -> None:
    assert parse_shapes("a[1,128],b[1,128]") == (ShapeOverride("a", (1, 128)), ShapeOverride("b", (1, 128)))


def test_parse_shapes_whitespace() -> None:
    assert parse_shapes(" a [ 1 , 2 ] , b[3]") == (ShapeOverride("a", (1, 2)), ShapeOverride("b", (3,)))


def test_parse_shapes_odd_names() -> None:
    parsed = parse_shapes("input:0[1,3],p2o.DynamicDimension.0[2,5],serving_default_x/y-1[4]")
    assert parsed == (
        ShapeOverride("input:0", (1, 3)),
        ShapeOverride("p2o.DynamicDimension.0", (2, 5)),
        ShapeOverride("serving_default_x/y-1", (4,)),
    )


def test_parse_shapes_dynamic_dims_are_none() -> None:
    assert parse_shapes("x[?,3,-1,224]") == (ShapeOverride("x", (None, 3, None, 224)),)


def test_parse_shapes_iterable_and_none() -> None:
    assert parse_shapes(None) == ()
    assert parse_shapes([]) == ()
    assert parse_shapes(["a[1]", "b[2]"]) == (ShapeOverride("a", (1,)), ShapeOverride("b", (2,)))


@pytest.mark.parametrize("text", ["1,3,224", "a[1,2", "a[1,2]b[3]", "x[1,2]]", "a1,2]"])
def test_parse_shapes_bad_syntax(text: str) -> None:
    with pytest.raises(UsageError, match=r"^-shape .*expected \[1,3,224,224\]"):
        parse_shapes(text)


@pytest.mark.parametrize("text", ["[1,0,3]", "x[1,-2]", "x[1,a]", "x[1,,3]", "x[1.5]"])
def test_parse_shapes_bad_dims(text: str) -> None:
    with pytest.raises(UsageError, match=r"must be a positive integer, \? or a range such as 1\.\.10"):
        parse_shapes(text)


def test_parse_shapes_ranges_are_dynamic() -> None:
    """benchmark_app's -shape [1..10,3,?,?]: a range is a dynamic dim (the data shape picks the size)."""
    assert parse_shapes("[1..10,3,?,..8]") == (ShapeOverride(None, (None, 3, None, None)),)
    with pytest.raises(UsageError, match=r"range '10\.\.1' has its bounds reversed"):
        parse_shapes("[10..1,3]")


def test_parse_shapes_bad_dim_names_input() -> None:
    with pytest.raises(UsageError, match=r"dim '0' for input 'x'"):
        parse_shapes("x[1,0]")


def test_parse_shapes_duplicate_names() -> None:
    with pytest.raises(UsageError, match=r"input 'a' more than once"):
        parse_shapes("a[1],b[2],a[1]")
    with pytest.raises(UsageError, match=r"input 'a' more than once"):
        parse_shapes(["a[1]", "a[2]"])


def test_parse_shapes_unnamed_mixed_with_named() -> None:
    with pytest.raises(UsageError, match="unnamed shape applies to every input"):
        parse_shapes("a[1,2],[3,4]")
    with pytest.raises(UsageError, match="unnamed shape applies to every input"):
        parse_shapes("[1],[2]")


def test_build_config_passes_shapes() -> None:
    assert cfg(shape="x[2,3,224,224]").shapes == (ShapeOverride("x", (2, 3, 224, 224)),)


# ---------------------------------------------------------------- --dim


def test_parse_dims_single() -> None:
    assert parse_dims("sequence=128") == {"sequence": 128}


def test_parse_dims_comma_separated_and_repeated() -> None:
    assert parse_dims("a=1, b=2") == {"a": 1, "b": 2}
    assert parse_dims(["a=1", "b=2,c=3"]) == {"a": 1, "b": 2, "c": 3}
    assert parse_dims(["a=1", "a=1"]) == {"a": 1}  # same size twice is fine


def test_parse_dims_mapping_and_none() -> None:
    assert parse_dims({"sequence": 64}) == {"sequence": 64}
    assert parse_dims(None) == {}


def test_parse_dims_names_may_contain_odd_characters() -> None:
    assert parse_dims("p2o.DynamicDimension.0=4") == {"p2o.DynamicDimension.0": 4}
    assert parse_dims(" unk__214 = 8 ") == {"unk__214": 8}


def test_parse_dims_conflict() -> None:
    with pytest.raises(UsageError, match=r"^--dim a is given twice with different sizes"):
        parse_dims(["a=1", "a=2"])


@pytest.mark.parametrize("text", ["sequence", "=5", " =5", "sequence:128"])
def test_parse_dims_bad_syntax(text: str) -> None:
    with pytest.raises(UsageError, match=r"^--dim .*expected NAME=SIZE"):
        parse_dims(text)


@pytest.mark.parametrize("text", ["seq=-1", "seq=abc", "seq=", "seq=1.5"])
def test_parse_dims_bad_size_names_dim(text: str) -> None:
    with pytest.raises(UsageError, match=r"^--dim seq "):
        parse_dims(text)


def test_parse_dims_allows_zero_for_an_empty_cache() -> None:
    assert parse_dims("past_sequence_length=0") == {"past_sequence_length": 0}


def test_build_config_passes_dims() -> None:
    assert dict(cfg(dim=["sequence=32"]).dims) == {"sequence": 32}


# ---------------------------------------------------------------- -i


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    np.save(tmp_path / "x.npy", np.zeros((1, 3), np.float32))
    np.save(tmp_path / "y.npy", np.zeros((1, 3), np.float32))
    np.savez(tmp_path / "all.npz", a=np.zeros(2))
    (tmp_path / "raw.bin").write_bytes(bytes(8))
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "folder.npy").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_input_file_that_exists_is_unnamed(data_dir: Path) -> None:
    assert parse_input_files("x.npy") == (InputFile(None, Path("x.npy")),)
    assert parse_input_files(str(data_dir / "all.npz")) == (InputFile(None, data_dir / "all.npz"),)


def test_input_file_name_colon_path(data_dir: Path) -> None:
    assert parse_input_files("ids:x.npy") == (InputFile("ids", Path("x.npy")),)
    absolute = data_dir / "raw.bin"
    assert parse_input_files(f"input:0:{absolute}") == (InputFile("input:0", absolute),)


def test_input_files_several(data_dir: Path) -> None:
    expected = (InputFile("a", Path("x.npy")), InputFile("b", Path("y.npy")))
    assert parse_input_files("a:x.npy,b:y.npy") == expected
    assert parse_input_files(["a:x.npy", "b:y.npy"]) == expected
    assert parse_input_files(None) == ()


def test_missing_input_file_is_named(data_dir: Path) -> None:
    for given in ("missing.npy", "ids:missing.npy", "a:x.npy,ids:missing.npy"):
        with pytest.raises(InputError) as info:
            parse_input_files(given)
        assert str(info.value) == f"-i {given.split(',')[-1]}: file not found"


def test_input_folder_accepted(data_dir: Path) -> None:
    """Folders are benchmark_app -i input: every usable file in them is a sample (see test_input_folders)."""
    assert parse_input_files(f"ids:{data_dir}") == (InputFile("ids", data_dir),)


def test_input_unsupported_suffix(data_dir: Path) -> None:
    for given in ("notes.txt", "ids:notes.txt"):
        with pytest.raises(InputError) as info:
            parse_input_files(given)
        assert str(info.value) == (f"-i {given}: unsupported file type '.txt'; use .npy, .npz, .bin or an image "
                                   "(.jpg, .png, .bmp, .tif, .webp)")


def test_input_given_twice_adds_samples(data_dir: Path) -> None:
    assert parse_input_files("a:x.npy,a:y.npy") == (InputFile("a", Path("x.npy")), InputFile("a", Path("y.npy")))
    assert parse_input_files(["x.npy", "x.npy"]) == (InputFile(None, Path("x.npy")),) * 2


def test_build_config_passes_input_files(data_dir: Path) -> None:
    assert cfg(inputs=["ids:x.npy"]).input_files == (InputFile("ids", Path("x.npy")),)
    with pytest.raises(InputError):
        cfg(inputs="nope.npy")
