#!/usr/bin/env python3
"""A ResNet-style CNN and a transformer encoder in PyTorch eager, PyTorch compiled, ONNX Runtime and OpenVINO on
this machine, from ONE interleaved session per model, with each engine's outputs' agreement beside it.

Each model is built here in torch with seeded weights (no download) and saved twice: as a torch.export program
(.pt2), which the pytorch engine runs eager and under --torch-compile and which OpenVINO reads through
openvino.convert_model (the same file), and as ONNX (torch.onnx.export), which ONNX Runtime runs. The four
configurations are prepared once and measured in rounds, the order shuffled per round (infermeter's own session:
``runs.session.run_session``), every one fed the same input bytes; latency scenario (-api sync), each engine's
default threads for one request on this machine (every usable core; read back in the table). Agreement: each
configuration's outputs against PyTorch eager's (computed after timing).

Usage: flock /tmp/infermeter-timing.lock python bench/native_table.py [--rounds 5] [--seconds 3] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import machine, write_result  # noqa: E402


def resnet_style() -> Any:
    """ResNet-18's layout (BasicBlocks 2-2-2-2, 64..512 channels) with seeded weights; [1,3,224,224] -> 1000."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, inputs: int, outputs: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(outputs)
            self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(outputs)
            self.down = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs)) \
                if stride != 1 or inputs != outputs else nn.Identity()

        def forward(self, x: Any) -> Any:
            y = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(self.bn2(self.conv2(y)) + self.down(x))

    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                               nn.MaxPool2d(3, 2, 1)]
    channels = 64
    for width, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [Block(channels, width, stride), Block(width, width, 1)]
        channels = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000)]
    return nn.Sequential(*layers).eval(), torch.randn(1, 3, 224, 224)


def transformer() -> Any:
    """4 encoder layers, d_model 256, 4 heads, FFN 1024, on [1, 128, 256] embeddings, mean-pooled to 10 scores."""
    import torch
    from torch import nn

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layer = nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.0, batch_first=True, activation="gelu")
            self.encoder = nn.TransformerEncoder(layer, 4, enable_nested_tensor=False)
            self.head = nn.Linear(256, 10)

        def forward(self, x: Any) -> Any:
            return self.head(self.encoder(x).mean(dim=1))

    torch.manual_seed(1)
    return Encoder().eval(), torch.randn(1, 128, 256)


def save(name: str, module: Any, example: Any, folder: Path) -> tuple[Path, Path]:
    import torch

    pt2, onnx_path = folder / f"{name}.pt2", folder / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.export.save(torch.export.export(module, (example,)), str(pt2))
        torch.onnx.export(module, (example,), str(onnx_path), dynamo=False, opset_version=17, input_names=["x"])
    return pt2, onnx_path


def measure(name: str, pt2: Path, onnx_path: Path, rounds: int, seconds: float) -> list[str]:
    from infermeter.config.benchmark import build_config
    from infermeter.config.tuning import build_tuning
    from infermeter.events import NullObserver
    from infermeter.runs.session import run_session

    common = {"api": "sync", "time": f"{seconds:g}", "warmup": "1"}
    configs = [build_config(str(pt2), engine="pytorch", **common),
               build_config(str(pt2), engine="pytorch", tuning=build_tuning(torch_compile=True), **common),
               build_config(str(onnx_path), engine="onnxruntime", **common),
               build_config(str(pt2), engine="openvino", infer_precision="f32", **common)]
    labels = ["pytorch eager", "pytorch --torch-compile", "onnxruntime (.onnx)", "openvino (.pt2, f32)"]
    session = run_session(configs, labels, rounds, NullObserver())
    comparisons = dict(session.comparisons("median", 0.02))
    agreement = {line.split(" vs ")[0].removeprefix("outputs: "): line for line in session.agreement}
    rows = []
    for index, label in enumerate(labels):
        first = session.reports[index][0]
        median = session.summary(index, "median")
        throughput = session.summary(index, "throughput")
        comparison = comparisons.get(label)
        speed = "1 (baseline)" if index == 0 else "–" if comparison is None else \
            f"{comparison.speedup.estimate:.2f}× [{comparison.speedup.low:.2f}, {comparison.speedup.high:.2f}]"
        compile_ms = (first.phases.compile_ns or 0) / 1e6
        agree = "reference" if index == 0 else _agreement_cell(agreement.get(label, "not compared"))
        rows.append(f"| {name} | {label} | {first.engine.threads} | {first.engine.precision} | "
                    f"{_ms(median)} | {_rate(throughput)} | {speed} | {compile_ms:,.0f} | {agree} |")
    return rows


def _ms(interval: Any) -> str:
    if interval is None:
        return "–"
    return f"{interval.estimate / 1e6:.2f} [{interval.low / 1e6:.2f}, {interval.high / 1e6:.2f}]"


def _rate(interval: Any) -> str:
    return "–" if interval is None else f"{interval.estimate:,.1f}"


def _agreement_cell(line: str) -> str:
    """'outputs: X vs Y: agree within f32 tolerance (...): max abs err 1e-05, ...' -> the verdict and numbers."""
    _, _, rest = line.partition(": ")
    _, _, rest = rest.partition(": ")
    verdict, _, numbers = rest.partition("): ")
    return f"{verdict.split(' (')[0]}: {numbers.split(' (worst')[0]}" if numbers else rest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 0.5 s: checks the script, not the numbers")
    args = parser.parse_args()
    rounds, seconds = (2, 0.5) if args.quick else (args.rounds, args.seconds)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, build in (("ResNet-style (ResNet-18 layout, 224²)", resnet_style),
                            ("transformer encoder (4 × d256, seq 128)", transformer)):
            module, example = build()
            pt2, onnx_path = save(name.split(" ")[0].lower(), module, example, Path(folder))
            rows += measure(name, pt2, onnx_path, rounds, seconds)
            print(rows[-1], file=sys.stderr)
    lines = ["# Native frameworks beside OpenVINO and ONNX Runtime: latency and agreement", "",
             f"Machine: {machine()}.",
             f"One interleaved session per model: {rounds} rounds, order shuffled per round, {seconds:g} s per "
             f"measurement after a 1-s warm-up, -api sync (one request at a time). `flock /tmp/infermeter-timing.lock "
             f"python bench/native_table.py{' --quick' if args.quick else ''}`", "",
             "| model | configuration | threads | precision | median latency ms [95% CI over rounds] | "
             "inferences/s | speed vs eager [95% CI] | compile ms | outputs vs pytorch eager |",
             "|---|---|---:|---|---:|---:|---:|---:|---|", *rows, "",
             "threads: as each engine applied them (pytorch torch.set_num_threads, onnxruntime intra-op threads (0 = "
             "its default, every core), openvino INFERENCE_NUM_THREADS read back). compile: the compile phase of the "
             "first round (pytorch --torch-compile: torch.compile and its first call; openvino: compile_model after "
             "convert_model in the read phase). Agreement: computed after timing on the same input bytes, tolerance "
             "by precision (f32: atol 1e-4, rtol 1e-3); see docs/methodology.md.", ""]
    print(write_result("native_table.md", "\n".join(lines)))


if __name__ == "__main__":
    main()
