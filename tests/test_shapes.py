"""Unit tests for infermeter.inputs.shapes: every input resolved to one static shape, or a precise error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from infermeter.config.benchmark import ShapeOverride
from infermeter.engines.base import Dim, InputDescription
from infermeter.errors import UsageError
from infermeter.inputs.shapes import ShapePlan, check_batch_applies, is_batch_dim, resolve_shapes


def inp(name: str, dims: tuple[Dim, ...] | None, dtype: str = "float32") -> InputDescription:
    return InputDescription(name, dtype, dims)


def resolve(inputs: Sequence[InputDescription], *, batch: int | None = None,
            overrides: Sequence[ShapeOverride] = (), dims: Mapping[str, int] | None = None,
            file_shapes: Mapping[str, tuple[int, ...]] | None = None,
            default_dims: Mapping[str, int] | None = None) -> ShapePlan:
    """File shapes come from ``data/NAME.npy``, as ``file_sources`` says."""
    files = file_shapes or {}
    return resolve_shapes(inputs, batch=batch, overrides=overrides, dims=dims or {},
                          file_shapes=files, default_dims=default_dims or {},
                          file_sources={name: f"data/{name}.npy" for name in files})


def bert(seq: Dim = "sequence") -> list[InputDescription]:
    return [inp(n, ("batch", seq), "int64") for n in ("input_ids", "attention_mask", "token_type_ids")]


# ---------------------------------------------------------------- batch dim


@pytest.mark.parametrize("first", ["batch", None, "unk__214", "p2o.DynamicDimension.0", "N", "batch_size"])
def test_dynamic_first_dim_takes_b(first: Dim) -> None:
    inputs = [inp("x", (first, 3, 224, 224))]
    assert resolve(inputs, batch=8).shapes() == {"x": (8, 3, 224, 224)}
    assert resolve(inputs).shapes() == {"x": (1, 3, 224, 224)}  # -b defaults to 1


def test_batch_named_dim_not_first() -> None:
    inputs = [inp("x", ("sequence", "batch", 16))]
    assert is_batch_dim(inputs[0].dims or (), 1)
    assert not is_batch_dim(inputs[0].dims or (), 0)
    plan = resolve(inputs, batch=4, dims={"sequence": 10})
    assert plan.shapes() == {"x": (10, 4, 16)}


def test_is_batch_dim_rules() -> None:
    assert not is_batch_dim((1, 3), 0)  # static
    assert is_batch_dim((None, 3), 0)
    assert not is_batch_dim((3, None), 1)  # unnamed dynamic, not first
    assert is_batch_dim(("unk__1", "unk__2"), 0)
    assert not is_batch_dim(("unk__1", "unk__2"), 1)
    assert is_batch_dim(("bs", 3), 0)


def test_b_applies_to_every_input() -> None:
    plan = resolve([inp("x", (None, 3, 224, 224)), inp("y", (None, 10))], batch=4)
    assert plan.shapes() == {"x": (4, 3, 224, 224), "y": (4, 10)}
    assert plan.batch == 4
    assert plan.batch_origin == "-b"


# ---------------------------------------------------------------- symbolic dims


def test_dim_sets_every_input_sharing_the_name() -> None:
    plan = resolve(bert(), dims={"sequence": 128})
    assert plan.shapes() == {"input_ids": (1, 128), "attention_mask": (1, 128), "token_type_ids": (1, 128)}
    assert dict(plan.symbols) == {"batch": 1, "sequence": 128}


def test_dim_with_batch() -> None:
    plan = resolve(bert(), batch=2, dims={"sequence": 16})
    assert set(plan.shapes().values()) == {(2, 16)}
    assert plan.batch == 2


def test_dim_can_set_the_batch_dim() -> None:
    plan = resolve(bert(), dims={"batch": 4, "sequence": 16})
    assert set(plan.shapes().values()) == {(4, 16)}
    assert plan.batch == 4
    assert plan.batch_origin == "input 'input_ids' dim 0"


def test_default_dims_used_when_not_given() -> None:
    plan = resolve(bert(), default_dims={"sequence": 128})
    assert set(plan.shapes().values()) == {(1, 128)}
    plan = resolve(bert(), dims={"sequence": 32}, default_dims={"sequence": 128})
    assert set(plan.shapes().values()) == {(1, 32)}
    plan = resolve(bert(), overrides=[ShapeOverride("input_ids", (1, 8))], dims={"sequence": 8},
                   default_dims={"sequence": 128})
    assert set(plan.shapes().values()) == {(1, 8)}


def test_default_dims_do_not_override_static_dims() -> None:
    plan = resolve([inp("x", ("batch", 5))], default_dims={"sequence": 128})
    assert plan.shapes() == {"x": (1, 5)}


def test_unresolved_named_dim_message() -> None:
    with pytest.raises(UsageError) as info:
        resolve(bert())
    message = str(info.value)
    assert "'input_ids'" in message
    assert "'sequence'" in message
    assert "--dim sequence=N" in message
    assert "-shape input_ids[1,N]" in message


def test_unresolved_unnamed_dim_message() -> None:
    with pytest.raises(UsageError) as info:
        resolve([inp("image", (None, 3, None, None))], batch=2)
    message = str(info.value)
    assert message == "input 'image' dim 2 is dynamic and unnamed: pass -shape image[2,3,N,N]"


def test_unresolved_named_non_batch_dims_like_unk() -> None:
    with pytest.raises(UsageError, match=r"input 'x' dim 2 \('unk__2'\) is dynamic: pass --dim unk__2=N"):
        resolve([inp("x", ("unk__1", 3, "unk__2", "unk__3"))])


def test_unknown_dim_name_lists_symbolic_dims() -> None:
    with pytest.raises(UsageError) as info:
        resolve(bert(), dims={"seq": 128})
    message = str(info.value)
    assert message.startswith("--dim seq: no input has a dim named 'seq'")
    assert "symbolic dims in this model: batch, sequence" in message


def test_unknown_dim_name_on_static_model() -> None:
    with pytest.raises(UsageError, match="this model has none"):
        resolve([inp("x", (1, 3))], dims={"sequence": 4})


def test_symbols_omit_names_with_several_sizes() -> None:
    inputs = [inp("a", ("batch", "sequence")), inp("b", ("batch", "sequence"))]
    plan = resolve(inputs, overrides=[ShapeOverride("a", (1, 8)), ShapeOverride("b", (1, 16))])
    assert plan.shapes() == {"a": (1, 8), "b": (1, 16)}
    assert dict(plan.symbols) == {"batch": 1}


# ---------------------------------------------------------------- -shape


def test_shape_override_named() -> None:
    plan = resolve([inp("x", (None, 3, None, None))], overrides=[ShapeOverride("x", (2, 3, 64, 64))])
    assert plan.shapes() == {"x": (2, 3, 64, 64)}
    assert plan.batch == 2
    assert plan.batch_origin == "input 'x' dim 0"


def test_shape_override_question_marks_left_to_other_sources() -> None:
    plan = resolve(bert(), batch=3, overrides=[ShapeOverride("input_ids", (None, 12))],
                   default_dims={"sequence": 128})
    assert plan.shapes()["input_ids"] == (3, 12)
    assert plan.shapes()["attention_mask"] == (3, 128)


def test_shape_override_of_static_model() -> None:
    plan = resolve([inp("x", (1, 3, 224, 224))], overrides=[ShapeOverride("x", (4, 3, 256, 256))])
    assert plan.shapes() == {"x": (4, 3, 256, 256)}


def test_unnamed_shape_applies_to_all_inputs() -> None:
    plan = resolve(bert(), overrides=[ShapeOverride(None, (2, 64))])
    assert plan.shapes() == {"input_ids": (2, 64), "attention_mask": (2, 64), "token_type_ids": (2, 64)}


def test_shape_for_unknown_input_suggests() -> None:
    with pytest.raises(UsageError) as info:
        resolve(bert(), overrides=[ShapeOverride("input_id", (1, 8))])
    message = str(info.value)
    assert message.startswith("-shape names input 'input_id', which the model does not have")
    assert "did you mean 'input_ids'?" in message
    assert "inputs: input_ids, attention_mask, token_type_ids" in message


def test_shape_for_unknown_input_without_close_match() -> None:
    with pytest.raises(UsageError) as info:
        resolve([inp("x", (1, 3))], overrides=[ShapeOverride("zzzzzz", (1, 3))])
    assert "did you mean" not in str(info.value)
    assert "inputs: x" in str(info.value)


def test_shape_rank_mismatch() -> None:
    with pytest.raises(UsageError, match=r"^-shape \[1,3,224\] has rank 3 but input 'x' has rank 4 \[\?,3,224,224\]"):
        resolve([inp("x", (None, 3, 224, 224))], overrides=[ShapeOverride("x", (1, 3, 224))])


def test_unknown_rank_needs_full_shape() -> None:
    plan = resolve([inp("x", None)], overrides=[ShapeOverride("x", (2, 5))])
    assert plan.shapes() == {"x": (2, 5)}
    with pytest.raises(UsageError, match=r"input 'x' has no declared shape: pass -shape x\[...\]"):
        resolve([inp("x", None)])
    with pytest.raises(UsageError, match="no declared shape"):
        resolve([inp("x", None)], overrides=[ShapeOverride("x", (None, 5))])


# ---------------------------------------------------------------- file shapes


def test_file_shape_fixes_dynamic_dims() -> None:
    plan = resolve(bert(), file_shapes={"input_ids": (2, 7)}, dims={"sequence": 7})
    assert plan.shapes()["input_ids"] == (2, 7)
    plan = resolve([inp("x", ("batch", 3, None))], file_shapes={"x": (5, 3, 9)})
    assert plan.shapes() == {"x": (5, 3, 9)}
    assert plan.batch == 5


def test_file_shape_agreeing_with_shape() -> None:
    plan = resolve([inp("x", ("batch", None))], overrides=[ShapeOverride("x", (None, 9))],
                   file_shapes={"x": (2, 9)})
    assert plan.shapes() == {"x": (2, 9)}


def test_file_shape_conflicting_with_shape() -> None:
    with pytest.raises(UsageError) as info:
        resolve([inp("x", ("batch", None))], overrides=[ShapeOverride("x", (1, 8))], file_shapes={"x": (1, 9)})
    assert str(info.value) == "-shape [1,8] for input 'x' disagrees with the shape [1,9] of its -i file data/x.npy"
    with pytest.raises(UsageError) as info:
        resolve([inp("x", ("batch", None))], overrides=[ShapeOverride("x", (1, 8, 1))], file_shapes={"x": (1, 8)})
    assert str(info.value) == "-shape [1,8,1] for input 'x' disagrees with the shape [1,8] of its -i file data/x.npy"


def test_file_shape_rank_mismatch_names_the_file_not_shape() -> None:
    with pytest.raises(UsageError) as info:
        resolve([inp("x", ("batch", 3))], file_shapes={"x": (2, 3, 4)})
    assert str(info.value) == "-i data/x.npy: its shape [2,3,4] has rank 3 but input 'x' has rank 2 [batch,3]"


# ---------------------------------------------------------------- -b conflicts


def test_b_conflicts_with_dim_batch() -> None:
    with pytest.raises(UsageError, match=r"^-b 2 conflicts with --dim batch=4: keep one"):
        resolve(bert(), batch=2, dims={"batch": 4, "sequence": 8})
    plan = resolve(bert(), batch=4, dims={"batch": 4, "sequence": 8})
    assert plan.batch == 4


def test_b_conflicts_with_shape_batch() -> None:
    with pytest.raises(UsageError) as info:
        resolve([inp("x", (None, 3, 224, 224))], batch=2, overrides=[ShapeOverride("x", (4, 3, 224, 224))])
    assert str(info.value) == "-b 2 conflicts with the shape [4,3,224,224] given for input 'x': keep one"
    plan = resolve([inp("x", (None, 3, 224, 224))], batch=4, overrides=[ShapeOverride("x", (4, 3, 224, 224))])
    assert plan.batch == 4


def test_b_conflicts_with_file_batch() -> None:
    with pytest.raises(UsageError) as info:
        resolve([inp("x", ("batch", 3))], batch=1, file_shapes={"x": (2, 3)})
    assert str(info.value) == "-b 1 conflicts with the shape [2,3] of -i data/x.npy for input 'x': keep one"


# ---------------------------------------------------------------- check_batch_applies and batch origin


def test_check_batch_applies_static_model() -> None:
    plan = resolve([inp("x", (1, 3, 224, 224))])
    check_batch_applies(None, plan)
    check_batch_applies(1, plan)
    with pytest.raises(UsageError) as info:
        check_batch_applies(2, plan)
    message = str(info.value)
    assert message.startswith("-b 2: input 'x' has a static batch of 1")
    assert "-shape x[2,...]" in message


def test_check_batch_applies_after_static_reshape() -> None:
    plan = resolve([inp("x", (1, 3, 224, 224))], batch=4, overrides=[ShapeOverride("x", (4, 3, 224, 224))])
    check_batch_applies(4, plan)


def test_check_batch_applies_dynamic_model_is_free() -> None:
    plan = resolve([inp("x", (None, 3))], batch=8)
    check_batch_applies(8, plan)


def test_check_batch_applies_ignores_rank_one_static_inputs() -> None:
    plan = resolve([inp("image", (1, 3, 224, 224)), inp("im_info", (3,))])
    assert plan.batch == 1
    check_batch_applies(1, plan)


def test_batch_origin_static_and_none() -> None:
    plan = resolve([inp("x", (2, 3, 8, 8))])
    assert plan.batch == 2
    assert plan.batch_origin == "input 'x' dim 0 (static)"
    plan = resolve([inp("scale", (3,)), inp("flag", ())])
    assert plan.batch == 1
    assert plan.batch_origin == "no batch dim"
    assert dict(plan.symbols) == {}


def test_batch_origin_dynamic_default() -> None:
    plan = resolve([inp("image", ("batch", 3, 32, 32))])
    assert plan.batch == 1
    assert plan.batch_origin == "input 'image' dim 0"


def test_plan_keeps_descriptions_and_order() -> None:
    inputs = bert()
    plan = resolve(inputs, dims={"sequence": 4})
    assert [r.name for r in plan.inputs] == ["input_ids", "attention_mask", "token_type_ids"]
    assert [r.description for r in plan.inputs] == inputs
    assert list(plan.shapes()) == ["input_ids", "attention_mask", "token_type_ids"]


def test_default_dims_win_over_batch_for_a_first_dim_they_name() -> None:
    plan = resolve([inp("input_ids", ("sequence",), "int64")], default_dims={"sequence": 128})
    assert plan.shapes() == {"input_ids": (128,)}


def test_zero_is_refused_for_a_batch_dim_but_not_for_others() -> None:
    cache = InputDescription("past", "float32", ("batch", 4, "past_sequence_length", 8))
    plan = resolve_shapes([cache], batch=None, overrides=(), dims={"past_sequence_length": 0}, file_shapes={},
                          default_dims={})
    assert plan.inputs[0].shape == (1, 4, 0, 8)
    with pytest.raises(UsageError, match="batch dim"):
        resolve_shapes([cache], batch=None, overrides=(), dims={"batch": 0, "past_sequence_length": 0},
                       file_shapes={}, default_dims={})
