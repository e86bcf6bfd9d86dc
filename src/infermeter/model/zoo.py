"""Built-in models, generated in code with seeded random weights: ``infermeter run zoo:NAME``.

Nothing is downloaded. Each model is described (inputs, outputs, default sizes) without building it, so
the fake engine and ``--help`` never need onnx. ``ensure_built`` builds a model once and caches the .onnx
file under ``cache_dir()``; the file name carries the model's version, so a changed graph never reuses a
stale file. The same name and version always give the same bytes (fixed seed per model).

onnx is imported only inside the functions that build a model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from infermeter.atomic import write_atomic
from infermeter.errors import UsageError
from infermeter.model.io import Dim, InputDescription, OutputDescription

if TYPE_CHECKING:
    import onnx

ZOO_PREFIX = "zoo:"
OPSET = 17
IR_VERSION = 8  # onnxruntime >= 1.10 and OpenVINO >= 2022 read IR 8

_F32 = np.float32
_I64 = np.int64


@dataclass(frozen=True)
class ZooModel:
    """A built-in model as the user and the engines see it before it is built."""

    name: str
    description: str  # one line: architecture, params, GMACs at the default shape
    inputs: tuple[InputDescription, ...]
    outputs: tuple[OutputDescription, ...]
    default_dims: Mapping[str, int] = field(hash=False)  # symbolic dims other than "batch"
    version: int  # bump when the graph or the weights change


class UnknownZooModel(UsageError):
    """``zoo:NAME`` with a NAME the zoo does not have (exit 2)."""

    def __init__(self, name: str, available: Sequence[str]) -> None:
        self.name = name
        self.available = tuple(available)
        super().__init__(f"unknown zoo model {name!r}; available: {', '.join(self.available)}")


# --- Graph builder ---------------------------------------------------------------------------------------


class _Graph:
    """Collects nodes and initializers; counts trainable parameters and MACs (batch 1, default dims)."""

    def __init__(self, seed: int) -> None:
        import onnx

        self.onnx = onnx
        self.rng = np.random.default_rng(seed)
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.params = 0
        self.macs = 0
        self._consts: dict[tuple[str, tuple[int, ...], bytes], str] = {}

    def _init(self, name: str, value: npt.NDArray[Any]) -> str:
        self.inits.append(self.onnx.numpy_helper.from_array(np.asarray(value, order="C"), name))
        return name

    def param(self, name: str, value: npt.NDArray[Any], *, trainable: bool = True) -> str:
        """A weight; non-trainable ones (BN running stats, position ids) are not counted in ``params``."""
        self.params += int(value.size) if trainable else 0
        return self._init(name, value)

    def const(self, value: npt.NDArray[Any]) -> str:
        """A small constant, shared between the nodes that use the same value."""
        key = (value.dtype.str, value.shape, value.tobytes())
        if key not in self._consts:
            self._consts[key] = self._init(f"const.{len(self._consts)}", value)
        return self._consts[key]

    def op(self, op_type: str, inputs: Sequence[str], out: str | None = None, **attrs: Any) -> str:
        name = f"{op_type}_{len(self.nodes)}"
        output = out or name
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [output], name=name, **attrs))
        return output

    def finish(self, model: ZooModel) -> onnx.ModelProto:
        helper = self.onnx.helper
        inputs = [_value_info(helper, d.name, d.dtype, d.dims) for d in model.inputs]
        outputs = [_value_info(helper, d.name, d.dtype, d.dims) for d in model.outputs]
        graph = helper.make_graph(self.nodes, model.name.replace("-", "_"), inputs, outputs, self.inits)
        proto: onnx.ModelProto = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="infermeter.zoo"
        )
        proto.ir_version = IR_VERSION
        proto.model_version = model.version
        props = {"zoo_name": model.name, "zoo_version": str(model.version)}
        helper.set_model_props(proto, {**props, "params": str(self.params), "macs": str(self.macs)})
        return proto


def _value_info(helper: Any, name: str, dtype: str, dims: tuple[Dim, ...] | None) -> Any:
    elem_type = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    return helper.make_tensor_value_info(name, elem_type, None if dims is None else list(dims))


# --- CNN pieces (torchvision layouts; ``hw`` is the square spatial size, tracked to count MACs) ----------


def _conv_bn(
    g: _Graph, x: str, hw: int, *, cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, p: str
) -> tuple[str, int]:
    fan_in = cin // groups * k * k
    w = g.rng.normal(0.0, math.sqrt(2.0 / fan_in), (cout, cin // groups, k, k)).astype(_F32)
    pad = k // 2
    out_hw = (hw + 2 * pad - k) // stride + 1
    g.macs += cout * fan_in * out_hw * out_hw
    attrs: dict[str, Any] = {"kernel_shape": [k, k], "strides": [stride, stride], "pads": [pad] * 4}
    y = g.op("Conv", [x, g.param(f"{p}.conv.weight", w)], group=groups, **attrs)
    bn = [
        g.param(f"{p}.bn.weight", g.rng.uniform(0.8, 1.2, cout).astype(_F32)),
        g.param(f"{p}.bn.bias", g.rng.normal(0.0, 0.05, cout).astype(_F32)),
        g.param(f"{p}.bn.running_mean", g.rng.normal(0.0, 0.05, cout).astype(_F32), trainable=False),
        g.param(f"{p}.bn.running_var", g.rng.uniform(0.8, 1.2, cout).astype(_F32), trainable=False),
    ]
    return g.op("BatchNormalization", [y, *bn], epsilon=1e-5), out_hw


def _relu6(g: _Graph, x: str) -> str:
    return g.op("Clip", [x, g.const(np.array(0.0, _F32)), g.const(np.array(6.0, _F32))])


def _classifier(g: _Graph, x: str, cin: int, classes: int, out: str) -> str:
    x = g.op("Flatten", [g.op("GlobalAveragePool", [x])], axis=1)
    bound = 1.0 / math.sqrt(cin)
    w = g.rng.uniform(-bound, bound, (classes, cin)).astype(_F32)
    b = g.rng.uniform(-bound, bound, classes).astype(_F32)
    g.macs += cin * classes
    return g.op("Gemm", [x, g.param("fc.weight", w), g.param("fc.bias", b)], out=out, transB=1)


def _basic_block(g: _Graph, x: str, hw: int, *, cin: int, cout: int, stride: int, p: str) -> tuple[str, int]:
    y, out_hw = _conv_bn(g, x, hw, cin=cin, cout=cout, k=3, stride=stride, p=f"{p}.1")
    y, _ = _conv_bn(g, g.op("Relu", [y]), out_hw, cin=cout, cout=cout, k=3, p=f"{p}.2")
    shortcut = x
    if stride != 1 or cin != cout:
        shortcut, _ = _conv_bn(g, x, hw, cin=cin, cout=cout, k=1, stride=stride, p=f"{p}.downsample")
    return g.op("Relu", [g.op("Add", [y, shortcut])]), out_hw


def _resnet18() -> _Graph:
    g = _Graph(seed=18)
    x, hw = _conv_bn(g, "input", 224, cin=3, cout=64, k=7, stride=2, p="stem")
    x = g.op("MaxPool", [g.op("Relu", [x])], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    hw = (hw + 2 - 3) // 2 + 1
    cin = 64
    for stage, (width, stride) in enumerate([(64, 1), (128, 2), (256, 2), (512, 2)], start=1):
        for block in range(2):
            s = stride if block == 0 else 1
            x, hw = _basic_block(g, x, hw, cin=cin, cout=width, stride=s, p=f"layer{stage}.{block}")
            cin = width
    _classifier(g, x, cin, 1000, "logits")
    return g


def _divisible8(v: float) -> int:
    """torchvision's _make_divisible: nearest multiple of 8, never more than 10% below ``v``."""
    rounded = max(8, int(v + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * v else rounded


def _inverted_residual(
    g: _Graph, x: str, hw: int, *, cin: int, cout: int, stride: int, expand: int, p: str
) -> tuple[str, int]:
    hidden = cin * expand
    y = x
    if expand != 1:
        y, _ = _conv_bn(g, y, hw, cin=cin, cout=hidden, k=1, p=f"{p}.expand")
        y = _relu6(g, y)
    y, out_hw = _conv_bn(g, y, hw, cin=hidden, cout=hidden, k=3, stride=stride, groups=hidden, p=f"{p}.dw")
    y, _ = _conv_bn(g, _relu6(g, y), out_hw, cin=hidden, cout=cout, k=1, p=f"{p}.project")
    if stride == 1 and cin == cout:
        y = g.op("Add", [x, y])
    return y, out_hw


# expansion t, channels c, repeats n, first stride s (torchvision MobileNetV2)
_MBV2_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                  (6, 320, 1, 1))


def _mobilenet_v2_small() -> _Graph:
    g = _Graph(seed=2)
    width = 0.5
    cin = _divisible8(32 * width)
    x, hw = _conv_bn(g, "pixel_values", 160, cin=3, cout=cin, k=3, stride=2, p="features.0")
    x = _relu6(g, x)
    index = 1
    for t, c, n, s in _MBV2_SETTINGS:
        cout = _divisible8(c * width)
        for i in range(n):
            stride = s if i == 0 else 1
            p = f"features.{index}"
            x, hw = _inverted_residual(g, x, hw, cin=cin, cout=cout, stride=stride, expand=t, p=p)
            cin = cout
            index += 1
    last = _divisible8(1280 * max(1.0, width))
    x, hw = _conv_bn(g, x, hw, cin=cin, cout=last, k=1, p=f"features.{index}")
    _classifier(g, _relu6(g, x), last, 1000, "logits")
    return g


# --- BERT pieces (Hugging Face BertModel layout) ---------------------------------------------------------

_BERT_LAYERS, _BERT_HIDDEN, _BERT_HEADS, _BERT_FFN = 4, 256, 4, 1024
_BERT_VOCAB, _BERT_POSITIONS, _BERT_TYPES = 30522, 512, 2
_BERT_SEQ = 128  # default sequence length (also the one MACs are counted at)


def _normal(g: _Graph, shape: tuple[int, ...]) -> npt.NDArray[np.float32]:
    return g.rng.normal(0.0, 0.02, shape).astype(_F32)


def _dense(g: _Graph, x: str, size: tuple[int, int], p: str, *, rows: int = _BERT_SEQ) -> str:
    fin, fout = size
    g.macs += rows * fin * fout
    y = g.op("MatMul", [x, g.param(f"{p}.weight", _normal(g, (fin, fout)))])
    return g.op("Add", [y, g.param(f"{p}.bias", _normal(g, (fout,)))])


def _layer_norm(g: _Graph, x: str, p: str, out: str | None = None) -> str:
    scale = g.param(f"{p}.weight", (1.0 + _normal(g, (_BERT_HIDDEN,))).astype(_F32))
    bias = g.param(f"{p}.bias", _normal(g, (_BERT_HIDDEN,)))
    return g.op("LayerNormalization", [x, scale, bias], out=out, axis=-1, epsilon=1e-12)


def _bert_embeddings(g: _Graph) -> str:
    words = g.param("word_embeddings", _normal(g, (_BERT_VOCAB, _BERT_HIDDEN)))
    positions = g.param("position_embeddings", _normal(g, (_BERT_POSITIONS, _BERT_HIDDEN)))
    types = g.param("token_type_embeddings", _normal(g, (_BERT_TYPES, _BERT_HIDDEN)))
    all_ids = g.param("position_ids", np.arange(_BERT_POSITIONS, dtype=_I64)[None, :], trainable=False)
    seq_len = g.op("Shape", ["input_ids"], start=1, end=2)
    zero, one = g.const(np.array([0], _I64)), g.const(np.array([1], _I64))
    position_ids = g.op("Slice", [all_ids, zero, seq_len, one])  # [1, S]
    x = g.op("Add", [g.op("Gather", [words, "input_ids"]), g.op("Gather", [types, "token_type_ids"])])
    x = g.op("Add", [x, g.op("Gather", [positions, position_ids])])
    return _layer_norm(g, x, "embeddings.LayerNorm")


def _bert_mask(g: _Graph) -> str:
    """attention_mask [B,S] (1 = attend) -> additive mask [B,1,1,S]: 0 or -10000."""
    mask = g.op("Cast", ["attention_mask"], to=g.onnx.TensorProto.FLOAT)
    mask = g.op("Sub", [g.const(np.array(1.0, _F32)), mask])
    mask = g.op("Mul", [mask, g.const(np.array(-10000.0, _F32))])
    return g.op("Unsqueeze", [mask, g.const(np.array([1, 2], _I64))])


def _bert_attention(g: _Graph, h: str, mask: str, p: str) -> str:
    head_dim = _BERT_HIDDEN // _BERT_HEADS
    split = g.const(np.array([0, 0, _BERT_HEADS, head_dim], _I64))

    def heads(kind: str, perm: list[int]) -> str:
        x = _dense(g, h, (_BERT_HIDDEN, _BERT_HIDDEN), f"{p}.attention.self.{kind}")
        return g.op("Transpose", [g.op("Reshape", [x, split])], perm=perm)

    q, k, v = heads("query", [0, 2, 1, 3]), heads("key", [0, 2, 3, 1]), heads("value", [0, 2, 1, 3])
    scores = g.op("Div", [g.op("MatMul", [q, k]), g.const(np.array(math.sqrt(head_dim), _F32))])
    probs = g.op("Softmax", [g.op("Add", [scores, mask])], axis=-1)
    g.macs += 2 * _BERT_SEQ * _BERT_SEQ * _BERT_HIDDEN  # Q.K^T and P.V
    ctx = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    ctx = g.op("Reshape", [ctx, g.const(np.array([0, 0, _BERT_HIDDEN], _I64))])
    return _dense(g, ctx, (_BERT_HIDDEN, _BERT_HIDDEN), f"{p}.attention.output.dense")


def _gelu(g: _Graph, x: str) -> str:
    """Exact (erf) GELU as exported from PyTorch: x * 0.5 * (1 + erf(x / sqrt(2)))."""
    e = g.op("Erf", [g.op("Div", [x, g.const(np.array(math.sqrt(2.0), _F32))])])
    y = g.op("Mul", [x, g.op("Add", [e, g.const(np.array(1.0, _F32))])])
    return g.op("Mul", [y, g.const(np.array(0.5, _F32))])


def _bert_layer(g: _Graph, h: str, mask: str, p: str, out: str | None) -> str:
    a = _bert_attention(g, h, mask, p)
    h = _layer_norm(g, g.op("Add", [a, h]), f"{p}.attention.output.LayerNorm")
    f = _gelu(g, _dense(g, h, (_BERT_HIDDEN, _BERT_FFN), f"{p}.intermediate.dense"))
    f = _dense(g, f, (_BERT_FFN, _BERT_HIDDEN), f"{p}.output.dense")
    return _layer_norm(g, g.op("Add", [f, h]), f"{p}.output.LayerNorm", out=out)


def _bert_mini() -> _Graph:
    g = _Graph(seed=4)
    h = _bert_embeddings(g)
    mask = _bert_mask(g)
    for i in range(_BERT_LAYERS):
        last = i == _BERT_LAYERS - 1
        h = _bert_layer(g, h, mask, f"encoder.layer.{i}", "last_hidden_state" if last else None)
    first = g.op("Gather", [h, g.const(np.array(0, _I64))], axis=1)  # [CLS] token: [B, H]
    pooled = _dense(g, first, (_BERT_HIDDEN, _BERT_HIDDEN), "pooler.dense", rows=1)
    g.op("Tanh", [pooled], out="pooler_output")
    return g


# --- Registry --------------------------------------------------------------------------------------------

_IO = tuple[tuple[InputDescription, ...], tuple[OutputDescription, ...]]


@dataclass(frozen=True)
class _Entry:
    model: ZooModel
    builder: Callable[[], _Graph]
    params: int  # trainable parameters, as counted by the builder (checked on every build)
    macs: int  # multiply-accumulates at batch 1 and the default dims


def _entry(name: str, *, arch: str, at: str, params: int, macs: int, builder: Callable[[], _Graph], io: _IO,
           default_dims: Mapping[str, int] | None = None, version: int = 1) -> _Entry:
    description = f"{arch}; {params / 1e6:.1f} M params; {macs / 1e9:.3g} GMACs at {at}"
    dims = MappingProxyType(dict(default_dims or {}))
    return _Entry(ZooModel(name, description, io[0], io[1], dims, version), builder, params, macs)


def _image_io(name: str, size: int) -> _IO:
    return ((InputDescription(name, "float32", ("batch", 3, size, size)),),
            (OutputDescription("logits", "float32", ("batch", 1000)),))


def _bert_io() -> _IO:
    tokens: tuple[Dim, ...] = ("batch", "sequence")
    inputs = (
        InputDescription("input_ids", "int64", tokens, _BERT_VOCAB, "Gather 'word_embeddings' (zoo)"),
        InputDescription("attention_mask", "int64", tokens),
        InputDescription(
            "token_type_ids", "int64", tokens, _BERT_TYPES, "Gather 'token_type_embeddings' (zoo)"
        ),
    )
    return inputs, (OutputDescription("last_hidden_state", "float32", (*tokens, _BERT_HIDDEN)),
                    OutputDescription("pooler_output", "float32", ("batch", _BERT_HIDDEN)))


_REGISTRY: dict[str, _Entry] = {
    e.model.name: e
    for e in (
        _entry("bert-mini", arch="BERT encoder, 4 layers, hidden 256, 4 heads, vocab 30522",
               at="batch 1, sequence 128", params=11_170_560, macs=436_273_152, builder=_bert_mini,
               io=_bert_io(), default_dims={"sequence": _BERT_SEQ}),
        _entry("mobilenet-v2-small", arch="MobileNetV2 width 0.5 (inverted residuals, ReLU6)",
               at="1x3x160x160", params=1_968_680, macs=50_184_000, builder=_mobilenet_v2_small,
               io=_image_io("pixel_values", 160)),
        _entry("resnet18", arch="ResNet-18 (torchvision layout, BasicBlocks 64-512)",
               at="1x3x224x224", params=11_689_512, macs=1_814_073_344, builder=_resnet18,
               io=_image_io("input", 224)),
    )
}


# --- Public API ------------------------------------------------------------------------------------------


def list_models() -> list[ZooModel]:
    return [_REGISTRY[name].model for name in sorted(_REGISTRY)]


def get(name: str) -> ZooModel:
    """The model called ``name`` (a leading ``zoo:`` is tolerated)."""
    key = name.removeprefix(ZOO_PREFIX)
    if key not in _REGISTRY:
        raise UnknownZooModel(key, sorted(_REGISTRY))
    return _REGISTRY[key].model


def is_zoo_ref(model: str) -> bool:
    return model.startswith(ZOO_PREFIX)


def cache_dir() -> Path:
    """$INFERMETER_CACHE_DIR/zoo, else $XDG_CACHE_HOME/infermeter/zoo, else ~/.cache/infermeter/zoo."""
    from ..paths import cache_root

    return cache_root() / "zoo"


def build(name: str) -> onnx.ModelProto:
    """Generate the model in memory (needs onnx). Deterministic for a given name and version."""
    entry = _REGISTRY[get(name).name]
    graph = entry.builder()
    if (graph.params, graph.macs) != (entry.params, entry.macs):  # the description would be wrong
        raise RuntimeError(
            f"zoo model {entry.model.name!r}: built {graph.params} params / {graph.macs} MACs, "
            f"registry says {entry.params} / {entry.macs}"
        )
    return graph.finish(entry.model)


def ensure_built(name: str) -> Path:
    """Path of the cached ``NAME-vVERSION.onnx``, building it first if it is not there yet."""
    model = get(name)
    directory = cache_dir()
    path = directory / f"{model.name}-v{model.version}.onnx"
    if path.is_file():
        return path
    data: bytes = build(model.name).SerializeToString()
    directory.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    return path


