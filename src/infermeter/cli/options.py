"""The options of ``infermeter run``: every spelling of benchmark_app, deepsparse.benchmark and ONNX Runtime
users, and how the parsed namespace becomes ``build_config`` arguments. No engine and no numpy imported here.
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from ..config.output import build_output_options
from ..config.tuning import build_tuning
from ..errors import UsageError

BOOL_WORDS = ("true", "false", "yes", "no", "y", "n", "1", "0", "on", "off")
OPTIONAL_BOOL_FLAGS = ("json_stats", "pc", "pcseq", "inference_only", "progress", "stream_output", "lfile")


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def run_option_parser() -> Parser:
    """``infermeter run``'s options alone (for reading a command line, not for running it)."""
    parser = Parser(prog="infermeter run", add_help=False, allow_abbrev=False)
    add_run_options(parser)
    return parser


def add_run_options(run: argparse.ArgumentParser) -> None:
    add = run.add_argument
    add("model", nargs="?", help="model: .onnx, .xml, .tflite, .pb, SavedModel folder, .pdmodel, .pt/.jit, "
        ".pt2, file.py:make_model, or zoo:NAME")
    add("-m", "--model", "--path_to_model", dest="model_option", metavar="MODEL", help="same as the positional MODEL")
    add("-e", "--engine", help="openvino | onnxruntime | pytorch | litert | fake, or a plugin (default: the first "
        "installed engine that reads the model's format; a comma list makes an A/B)")
    add("-d", "--device", "--target_device", default="CPU", help="device: CPU (default), GPU, NPU, AUTO, MULTI:…, "
        "HETERO:… (openvino); CPU, CUDA, TENSORRT, DML or an execution provider name (onnxruntime)")
    add("-api", "--api", "--api_type", "-s", "--scenario", dest="api", metavar="SCENARIO",
        help="sync = latency (one request at a time); async = throughput (requests in flight); elastic = async "
        "with the engine's own scheduler (openvino); MLPerf's server (open loop at --qps), offline (all issued at "
        "once), singlestream (sync, headline p90), multistream (queries of --samples-per-query); LoadGen's "
        "spellings (Server, SingleStream, ...) too. Default async")
    add("-nireq", "--nireq", "--number_infer_requests", metavar="N",
        help="requests in flight for -api async (default: engine's optimum)")
    add("-hint", "--hint", "--perf_hint", metavar="HINT", help="latency | throughput (tput) | "
        "cumulative_throughput (ctput) | none (default: from -api)")
    add("-niter", "--niter", "--number_iterations", metavar="N",
        help="minimum number of requests to measure; 0 = compile only (report load times and exit)")
    add("-t", "--time", metavar="SECONDS", help="minimum measuring time (10, 2.5s, 500ms); default 10 s "
        "when neither -t nor -niter is given; with both, both are minimums")
    add("-w", "--warmup", "--warmup_time", metavar="TIME|Nit", help="warm-up before measuring: seconds (1, 500ms) "
        "or iterations (20it); default 1 s")
    add("--no-warmup", "-no_warmup", dest="no_warmup", action="store_true", help="skip the warm-up")
    add("-max_irate", "--max-irate", "--maximum_inference_rate", dest="max_irate", metavar="RATE",
        help="start at most RATE inferences per second (0 = no cap)")
    _add_load_options(run)
    _add_shape_options(run)
    _add_tuning_options(run)
    _add_measurement_options(run)
    _add_report_options(run)
    _add_onnxruntime_options(run)
    torch = run.add_argument_group("pytorch")
    torch.add_argument("--torch-compile", action="store_true", help="torch.compile the module (inductor); its "
                       "compile, which happens on the first call, is timed as the compile phase")
    fake = run.add_argument_group("fake engine (deterministic, virtual clock; for tests and demos)")
    fake.add_argument("--fake-latency", default="1ms", metavar="SPEC",
                      help="5ms | cycle:1ms,2ms,3ms | lognormal:5ms,0.2 (default 1ms)")
    fake.add_argument("--fake-first-call", metavar="TIME", help="extra latency of the first call")
    fake.add_argument("--fake-fail-at", metavar="K", help="make call K fail")
    fake.add_argument("--fake-contention", metavar="X", help="async: each other request in flight adds X times "
                      "the latency (a load curve for sweeps), e.g. 0.25")
    fake.add_argument("--fake-stall", metavar="K:TIME", help="call K (the first inference is call 1) takes TIME "
                      "longer, e.g. 100:50ms")
    fake.add_argument("--fake-vs-latency", metavar="SPEC", help="the latency of the --vs model (default: "
                      "--fake-latency)")


def _add_load_options(run: argparse.ArgumentParser) -> None:
    group = run.add_argument_group("open-loop load (--scenario server) and the MLPerf scenarios")
    add = group.add_argument
    add("--qps", metavar="RATE", help="offered load in queries per second; requests are issued on schedule whether "
        "or not earlier ones finished (implies --scenario server)")
    add("--arrival", metavar="KIND", help="arrival process: poisson (default), constant, or gamma:CV (bursty for "
        "CV > 1; gamma:1 is Poisson)")
    add("--arrivals", metavar="FILE", help="replay a trace of issue times (seconds, one per line), once; with --qps "
        "scaled to that mean rate")
    add("--max-in-flight", metavar="N", help="at most N requests admitted and not completed; arrivals beyond are "
        "dropped and counted (default: unbounded)")
    add("--samples-per-query", metavar="N", help="multistream: samples issued together as one query (default 8)")
    add("--loadgen", metavar="DIR", help="server: MLPerf LoadGen issues the requests (Poisson at --qps) and writes "
        "its logs into DIR (needs infermeter[loadgen])")


def _add_shape_options(run: argparse.ArgumentParser) -> None:
    group = run.add_argument_group("shapes and input data")
    add = group.add_argument
    add("-b", "--batch", "--batch_size", dest="batch", metavar="N", help="batch size for the batch dim (default 1)")
    add("-shape", "--shape", action="append", metavar="SHAPE",
        help="model shape: [1,3,224,224] or name[1,3,224,224],name2[1,?] (repeatable; ? keeps a dim dynamic)")
    add("-shapes", "--input_shapes", dest="shapes", metavar="SHAPES",
        help="deepsparse spelling: [1,3,224,224],[1,128] = one shape per input, in model order")
    add("-data_shape", "--data-shape", "--data_shape", dest="data_shape", action="append", metavar="SHAPES",
        help="data shapes, several per input, used round-robin: in1[1,3,224,224][1,3,448,448],in2[1,4][1,8]; "
        "statistics per shape are reported too")
    add("--dim", action="append", metavar="NAME=N", help="size of every dim named NAME, e.g. sequence=128 "
        "(repeatable)")
    add("-layout", "--layout", action="append", metavar="LAYOUT", help="[NCHW] or name[NHWC],name2[NC]: how "
        "inputs are laid out (batch dim, image H×W and channels)")
    add("-i", "--input", "--paths_to_input", dest="inputs", nargs="+", action="extend", metavar="[NAME:]PATH",
        help="input data per input as NAME:PATH: .npy, .npz (keys = input names), raw .bin, images "
        "(.jpg/.png/.bmp…, needs infermeter[images]) or a folder of them; several files = several samples")
    add("--channel-order", default="BGR", metavar="{BGR,RGB}", help="channel order of image inputs (default BGR, "
        "as benchmark_app's OpenCV)")
    add("--seed", default="0", help="seed for synthetic inputs (default 0)")
    add("-inference_only", "--inference_only", "--inference-only", dest="inference_only", nargs="?",
        const="true", metavar="BOOL", help="true (default): inputs set once before timing; false: the next "
        "sample's inputs are set inside the timed loop (benchmark_app's full mode)")


def _add_tuning_options(run: argparse.ArgumentParser) -> None:
    group = run.add_argument_group("engine tuning (printed as applied, read back from the engine)")
    add = group.add_argument
    add("-infer_precision", "--infer-precision", "--infer_precision", dest="infer_precision", metavar="PRECISION",
        help="inference precision: f32, bf16, f16, or per device CPU:bf16,GPU:f32 (openvino); bf16 or f32 "
        "(pytorch: bf16 = CPU autocast)")
    add("-nthreads", "--nthreads", "--number_threads", "-ncores", "--num_cores", dest="nthreads", metavar="N",
        help="threads for inference (openvino INFERENCE_NUM_THREADS; onnxruntime intra-op threads; pytorch "
        "torch.set_num_threads; litert interpreter threads)")
    add("-nstreams", "--nstreams", "--number_streams", "--num_streams", dest="nstreams", metavar="N",
        help="openvino streams (N, AUTO, or CPU:4,GPU:2); onnxruntime, pytorch, litert: N runner threads "
        "(requests in flight with -api async)")
    add("-pin", "--pin", "--infer_threads_pinning", "--thread_pinning", dest="pin", metavar="PIN",
        help="openvino thread pinning: YES | NO | NUMA | HYBRID_AWARE (deepsparse: core | none | numa)")
    add("-ip", "--input_precision", dest="ip", metavar="TYPE", help="openvino: element type of every input "
        "(u8, f16, f32, …), converted inside the model")
    add("-op", "--output_precision", dest="op", metavar="TYPE", help="openvino: element type of every output")
    add("-iop", "--input_output_precision", dest="iop", metavar="NAME:TYPE,…",
        help="openvino: element type per input/output name")
    add("--mean_values", "-mean_values", "--mean-values", dest="mean_values", metavar="[R,G,B]",
        help="openvino: subtract per channel inside the model, e.g. [123.675,116.28,103.53] or data[...]")
    add("--scale_values", "-scale_values", "--scale-values", dest="scale_values", metavar="[R,G,B]",
        help="openvino: divide per channel inside the model (after the mean)")
    add("-cdir", "--cache_dir", "--cache-dir", dest="cache_dir", metavar="DIR",
        help="openvino model cache: the report says whether the compile was cold or from the cache")
    add("-lfile", "--load_from_file", dest="lfile", nargs="?", const="true", metavar="MODEL",
        help="openvino: compile straight from the file (no read_model; no reshape or pre-processing)")
    add("-extensions", "--extensions", "-l", dest="extensions", action="append", metavar="LIB",
        help="custom-op libraries (.so): openvino extensions, onnxruntime custom ops")
    add("-c", "--path_to_cldnn_config", dest="device_config", metavar="XML",
        help="openvino GPU custom kernels config (CONFIG_FILE)")
    add("-load_config", "--load-config", "--load_config", dest="load_config", metavar="JSON",
        help="per-device engine properties {\"CPU\": {\"NUM_STREAMS\": \"2\"}}; the command line wins")
    add("-dump_config", "--dump-config", "--dump_config", dest="dump_config", metavar="JSON",
        help="write the properties the engine applied, per device, in -load_config format")


def _add_measurement_options(run: argparse.ArgumentParser) -> None:
    group = run.add_argument_group("statistics and stop rule")
    add = group.add_argument
    add("--rel-precision", metavar="PCT", help="after -t/-niter (default 1 s), go on until the 95%% CI of "
        "--precision-metric is within ±PCT of it, e.g. 1%%")
    add("--precision-metric", metavar="{median,p90,p95,p99,throughput}", help="what --rel-precision applies to "
        "(default: median for -api sync, throughput for async)")
    add("--max-time", metavar="SECONDS", help="upper bound on measuring time with --rel-precision, or per "
        "configuration with --until-decided (default 60)")
    add("--require-valid", action="store_true", help="exit 3 unless the verdict is VALID (for CI jobs)")
    add("--rounds", metavar="N", help="measure N times, interleaved with the other configurations (comma lists in "
        "-e, -d, -api, -nireq, -hint, -b, -infer_precision, -nthreads make several), order shuffled per round; "
        "default 3 with several configurations, else 1")
    _add_comparison_options(run)
    add("--on-error", choices=("stop", "continue"), default="stop", help="a failing request stops the run "
        "(default; what was measured is kept, marked partial) or is counted and left out of the samples")
    add("-latency_percentile", "--latency_percentile", "--latency-percentile", dest="latency_percentile",
        metavar="P", help="also report this latency percentile (1-100) by benchmark_app's nearest-rank rule")


def _add_comparison_options(run: argparse.ArgumentParser) -> None:
    group = run.add_argument_group("comparing configurations (is B faster than A?)")
    add = group.add_argument
    add("--vs", metavar="MODEL", help="B of an A/B: MODEL is A, this is B, both with the same options (and each "
        "comma-listed configuration); the same file as A makes an A/A of two separately compiled copies")
    add("--interleave", metavar="{request,burst,round}", help="how compared configurations take turns: request by "
        "request (-api sync), short bursts (async), or whole measurements in --rounds (for what cannot share a "
        "process); default: the finest valid, and the report says why")
    add("--until-decided", action="store_true", help="keep alternating until each comparison's anytime-valid 95%% "
        "CI lies wholly inside or wholly beyond ±--threshold; -t (default 1 s) is then the least and --max-time "
        "(default 60 s) the most measuring time per configuration")
    add("--threshold", metavar="PCT", help="the band of changes too small to count: faster/slower need the whole "
        "CI beyond it, equivalent the whole CI inside it (default 2%%)")
    add("--require-decided", action="store_true", help="exit 3 when a comparison is inconclusive (its CI straddles "
        "the band)")
    add("--fail-on-regression", action="store_true", help="exit 4 when a configuration is slower than its baseline "
        "beyond --threshold (as compare does)")


def _add_report_options(run: argparse.ArgumentParser) -> None:
    group = run.add_argument_group("reports and output")
    add = group.add_argument
    add_export_options(add)
    add("-report_type", "--report_type", dest="report_type", metavar="TYPE",
        help="no_counters | average_counters | detailed_counters (files in -report_folder)")
    add("-report_folder", "--report_folder", dest="report_folder", metavar="DIR",
        help="write benchmark_app-style CSV reports (benchmark_report.csv, counters) there")
    add("-json_stats", "--json_stats", dest="json_stats", nargs="?", const="true", metavar="BOOL",
        help="also write benchmark_report.json (numeric values) into -report_folder")
    add("-pc", "--perf_counts", "--pc", dest="pc", nargs="?", const="true", metavar="BOOL",
        help="print per-layer counters (layer, type, exec type, status, real/CPU time, share)")
    add("-pcsort", "--perf_counts_sort", dest="pcsort", metavar="MODE",
        help="per-layer counters sorted: sort | no_sort | simple_sort (executed layers only)")
    add("-pcseq", "--pcseq", dest="pcseq", nargs="?", const="true", metavar="BOOL",
        help="print statistics per -data_shape group")
    add("-exec_graph_path", "--exec_graph_path", dest="exec_graph_path", metavar="PATH",
        help="save the runtime graph (openvino: executed graph IR; onnxruntime: optimized model)")
    add("-progress", "--progress", dest="progress", nargs="?", const="true", metavar="BOOL",
        help="live progress line (default: on a terminal only)")
    add("-stream_output", "--stream_output", dest="stream_output", nargs="?", const="true", metavar="BOOL",
        help="progress as plain lines (for logs), not a live line")
    add("-q", "--quiet", action="store_true", help="print only a one-line summary")
    add("--debug", action="store_true", help="show tracebacks on errors")


def add_export_options(add: Any) -> None:
    """Exports of run, sweep and show; several at once, at most one to stdout ('-')."""
    add("-x", "--export-json", "--export_path", dest="export_json", metavar="PATH",
        help="the full report as JSON, every raw sample ('-' = stdout)")
    add("--export-markdown", metavar="PATH", help="Markdown summary for pull requests and READMEs ('-' = stdout)")
    add("--export-csv", metavar="PATH", help="CSV, one row per run ('-' = stdout)")
    add("--export-csv-samples", metavar="PATH", help="CSV, one row per request (start offset, latency)")
    add("--html", metavar="PATH", help="self-contained HTML report with plots (needs infermeter[report])")


def export_list(args: argparse.Namespace) -> list[Any]:
    from ..reporters.export import parse_exports

    return parse_exports(json=args.export_json, markdown=args.export_markdown, csv=args.export_csv,
                         csv_samples=args.export_csv_samples, html=args.html)


def _add_onnxruntime_options(run: argparse.ArgumentParser) -> None:
    group = run.add_argument_group("onnxruntime")
    add = group.add_argument
    add("--ep", metavar="NAME", help="execution provider (CPUExecutionProvider, cuda, tensorrt, openvino, …)")
    add("--ep-option", dest="ep_options", action="append", metavar="KEY=VALUE", help="execution provider "
        "option (repeatable)")
    add("--inter-op-threads", metavar="N", help="inter-op threads (switches to parallel execution mode)")
    add("--graph-opt-level", metavar="LEVEL", help="0/disable, 1/basic, 2/extended, 3/layout, 99/all (default all)")
    add("--session-config", action="append", metavar="KEY=VALUE", help="session config entry (repeatable)")
    add("--io-binding", action=argparse.BooleanOptionalAction, default=None,
        help="bind inputs and outputs once with an IOBinding; outputs stay in onnxruntime memory (the default, "
        "except for string inputs); --no-io-binding: session.run, copying the outputs into new numpy arrays "
        "on every call")


def split_model_from_flags(args: argparse.Namespace) -> None:
    """``-pc model.onnx``: an optional-value flag swallowed the positional model; give it back.

    Also moves deepsparse-style shapes given to ``-i`` (``-i "[1,3,224,224]"``) to ``-shapes``.
    """
    for name in OPTIONAL_BOOL_FLAGS:
        value = getattr(args, name, None)
        if isinstance(value, str) and value.lower() not in BOOL_WORDS:
            if not args.model and not args.model_option:
                args.model = value  # `-pc model.onnx`: the flag took the positional model
            elif name != "lfile":  # benchmark_app's -lfile may repeat the model path
                raise UsageError(f"-{name} {value!r}: expected true or false")
            setattr(args, name, "true")
    if args.inputs:
        shapes = [item for item in args.inputs if item.strip().startswith("[")]
        if shapes:
            args.inputs = [item for item in args.inputs if item not in shapes] or None
            args.shapes = ",".join([args.shapes, *shapes] if args.shapes else shapes)


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """``build_config`` keyword arguments from the parsed command line."""
    tuning = build_tuning(
        nstreams=args.nstreams, pin=args.pin, ip=args.ip, op=args.op, iop=args.iop, layout=args.layout,
        mean_values=args.mean_values, scale_values=args.scale_values, cache_dir=args.cache_dir,
        load_from_file=args.lfile is not None, extensions=args.extensions, device_config=args.device_config,
        load_config=args.load_config, exec_graph_path=args.exec_graph_path, ep=args.ep,
        ep_options=args.ep_options, inter_op_threads=args.inter_op_threads, graph_opt_level=args.graph_opt_level,
        session_config=args.session_config, io_binding=args.io_binding, torch_compile=args.torch_compile,
    )
    output = build_output_options(
        latency_percentile=args.latency_percentile, report_type=args.report_type, report_folder=args.report_folder,
        json_stats=args.json_stats or False, pc=args.pc or False, pcsort=args.pcsort, pcseq=args.pcseq or False,
        dump_config=args.dump_config, progress=args.progress, stream_output=args.stream_output or False,
    )
    return {
        "engine": args.engine, "device": args.device, "api": args.api, "nireq": args.nireq,
        "hint": args.hint, "niter": args.niter, "time": _time(args), "warmup": args.warmup,
        "no_warmup": args.no_warmup, "batch": args.batch, "shape": args.shape, "dim": args.dim,
        "inputs": args.inputs, "seed": args.seed, "infer_precision": args.infer_precision,
        "nthreads": args.nthreads, "on_error": args.on_error, "fake_latency": args.fake_latency,
        "fake_first_call": args.fake_first_call, "fake_fail_at": args.fake_fail_at,
        "fake_contention": args.fake_contention,
        "rel_precision": args.rel_precision, "max_time": None if args.until_decided else args.max_time,
        "precision_metric": args.precision_metric,
        "tuning": tuning, "output": output, "data_shape": args.data_shape, "shapes": args.shapes,
        "inference_only": args.inference_only, "max_irate": args.max_irate, "channel_order": args.channel_order,
        "fake_stall": args.fake_stall, "qps": args.qps, "arrival": args.arrival, "arrivals": args.arrivals,
        "max_in_flight": args.max_in_flight, "samples_per_query": args.samples_per_query, "loadgen": args.loadgen,
    }


def _time(args: argparse.Namespace) -> str | None:
    """-t, or with --until-decided and neither -t nor -niter, its default least time per configuration."""
    from ..config.comparison import UNTIL_DECIDED_MIN

    if args.time is None and args.niter is None and args.until_decided:
        return UNTIL_DECIDED_MIN
    return args.time  # type: ignore[no-any-return]


def comparison_options(args: argparse.Namespace, min_time_ns: int) -> Any:
    from ..config.comparison import build_comparison_options

    return build_comparison_options(interleave=args.interleave, until_decided=args.until_decided,
                                    threshold=args.threshold, max_time=args.max_time if args.until_decided else None,
                                    min_time_ns=min_time_ns, require_decided=args.require_decided,
                                    fail_on_regression=args.fail_on_regression)


LOAD_CONFIG_FLAGS = ("-load_config", "--load-config", "--load_config")


def expand_run_config(argv: list[str]) -> list[str]:
    """``run --load-config best.json``: a config saved by ``sweep`` (schema infermeter.run-config) becomes the
    options it holds, placed before the rest of the command line, which wins. A benchmark_app-style device
    properties file is left to -load_config's own handling."""
    if not argv or argv[0] != "run":
        return argv
    for index, token in enumerate(argv):
        name, _, inline = token.partition("=")
        if name not in LOAD_CONFIG_FLAGS:
            continue
        path = inline or (argv[index + 1] if index + 1 < len(argv) else "")
        data = _run_config(path)
        if data is None:
            return argv
        rest = argv[1:index] + argv[index + (1 if inline else 2):]
        return ["run", *_replayed(data, rest, path), *rest]
    return argv


def _run_config(path: str) -> dict[str, Any] | None:
    import json
    from pathlib import Path

    from ..config.axes import RUN_CONFIG_SCHEMA

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # -load_config reports unreadable files itself
    return data if isinstance(data, dict) and data.get("schema") == RUN_CONFIG_SCHEMA else None


def _replayed(data: dict[str, Any], rest: list[str], path: str) -> list[str]:
    from ..runs.sweep import point_args

    try:
        options = {str(k): str(v) for k, v in data["options"].items()}
        shared = [str(token) for token in data.get("args", [])]
        replay = [*shared, *point_args(options)]
    except (KeyError, AttributeError, TypeError):
        raise UsageError(f"--load-config {path}: not a valid infermeter run config") from None
    given, _ = run_option_parser().parse_known_args(rest)
    if given.model or given.model_option:
        return replay
    return [str(data.get("model", "")), *replay]
