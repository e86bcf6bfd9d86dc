"""``infermeter verify`` as a console table and as Markdown."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..analysis.agreement import OutputAgreement, Verification, summary_line

_COLUMNS = ("engine", "output", "shape", "max abs err", "max rel err", "cosine", "top-1", "top-5", "tolerance used",
            "verdict")


def _number(value: float | None, digits: str = ".3g") -> str:
    if value is None:
        return "–"
    return format(value, digits)


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _cells(output: OutputAgreement) -> list[str]:
    if output.problem:
        return [output.output, "×".join(map(str, output.shape)), "–", "–", "–", "–", "–", "–", output.problem]
    return [output.output, "×".join(map(str, output.shape)) or "scalar", _number(output.max_abs_error),
            _number(output.max_rel_error), f"{output.cosine:.6f}", _share(output.top1), _share(output.top5),
            f"{output.tolerance_used:.2g}", "agree" if output.within_tolerance else "DISAGREE"]


def rows(verification: Verification) -> list[list[str]]:
    found = []
    for result in verification.results:
        for output in result.outputs:
            found.append([result.label, *_cells(output)])
    return found


def verdict_line(verification: Verification) -> str:
    reference = verification.engines[0].label
    if verification.agrees:
        return f"verdict: every engine agrees with {reference} within tolerance"
    failing = [r.label for r in verification.results if not r.agrees]
    return f"verdict: {', '.join(failing)} DISAGREE with {reference} beyond tolerance (exit 5)"


def render_verification(verification: Verification, console: Console, quiet: bool = False) -> None:
    if quiet:  # one line per engine, then the verdict
        for result in verification.results:
            console.print(summary_line(result), soft_wrap=True, highlight=False)
        console.print(verdict_line(verification), soft_wrap=True, highlight=False)
        return
    for run in verification.engines:
        read = f" · read by {run.frontend}" if run.frontend else ""
        console.print(escape(f"{run.label}: {run.engine} {run.version} · precision {run.precision}{read}"),
                      highlight=False)
    for note in verification.notes:
        console.print(Text(note, style="dim"))
    table = Table(title=f"Outputs against {verification.engines[0].label} (same inputs)", title_justify="left")
    for column in _COLUMNS:
        table.add_column(column, justify="left" if column in ("engine", "output", "verdict") else "right")
    for row in rows(verification):
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)
    tolerances = "; ".join(f"{r.label}: atol {r.atol:g}, rtol {r.rtol:g} ({r.precision})" for r in verification.results)
    console.print(Text(f"tolerance ({verification.tolerance_source}): |a − r| ≤ atol + rtol·|r| for every element; "
                       f"{tolerances}; tolerance used = the worst element's error / its allowance", style="dim"))
    console.print(verdict_line(verification), style="bold" if verification.agrees else "bold red", highlight=False)


def verification_markdown(verification: Verification) -> str:
    lines = [f"### infermeter verify: `{verification.model}`", ""]
    lines += [f"- {run.label}: {run.engine} {run.version}, precision {run.precision}"
              + (f", read by {run.frontend}" if run.frontend else "") for run in verification.engines]
    lines += ["", "| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows(verification)]
    lines += ["", f"**{verdict_line(verification)}**", ""]
    return "\n".join(lines)
