"""docs/options.md, generated from the argparse parser: ``python -m infermeter.cli.reference > docs/options.md``.

Every subcommand, its option groups as the parser groups them, and per option its spellings, value (metavar or
choices), default and help text. The output depends on the parser only (no terminal width, no installed
engines), so tests/test_docs.py can regenerate it and fail when the committed file has drifted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from . import build_parser

HEADER = """\
# Command-line options

Generated from infermeter's argparse parser by `python -m infermeter.cli.reference > docs/options.md`: do not
edit by hand (`tests/test_docs.py` fails when this file and the parser differ). `infermeter COMMAND -h` prints
the same; `python -m infermeter` is the same program as `infermeter`. Which engines honour each option, and
the benchmark_app / deepsparse.benchmark spellings behind them: [compatibility.md](compatibility.md); what the
numbers mean: [methodology.md](methodology.md).
"""

Row = tuple[str, str, str, str]


def render() -> str:
    parser = build_parser()
    commands = subcommands(parser)
    lines = [HEADER, "Commands: " + ", ".join(f"`{name}`" for name, _, _ in commands) + ".", ""]
    lines += _section("infermeter", None, parser, {})
    first: dict[str, list[Row]] = {}  # groups of the first command (run), named by title
    for index, (name, summary, sub) in enumerate(commands):
        lines += _section(f"infermeter {name}", summary, sub, first)
        if index == 0:
            first = {title: rows for title, rows in _groups(sub)}
    return "\n".join(lines).rstrip("\n") + "\n"


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(name, one-line help, parser) of every subcommand, in the parser's order."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {choice.dest: choice.help or "" for choice in action._choices_actions}
            return [(name, summaries.get(name, ""), sub) for name, sub in action.choices.items()]
    return []


def _section(title: str, summary: str | None, parser: argparse.ArgumentParser,
             shared: dict[str, list[Row]]) -> list[str]:
    lines = [f"## `{title}`", ""]
    text = " ".join(part for part in (_sentence(summary), parser.description) if part)
    if text:
        lines += [_escape(text), ""]
    reused = []
    for group, rows in _groups(parser):
        if shared.get(group) == rows:
            reused.append(group)
            continue
        lines += [f"**{group}**", "", "| option | value | default | description |", "|---|---|---|---|"]
        lines += [f"| {' | '.join(row)} |" for row in rows]
        lines.append("")
    if reused:
        which = "" if reused == list(shared) else " in its groups " + ", ".join(f"*{group}*" for group in reused)
        lines += [f"Also every option of `infermeter run`{which} (above), applied to every point.", ""]
    return lines


def _groups(parser: argparse.ArgumentParser) -> Iterator[tuple[str, list[Row]]]:
    for group in parser._action_groups:
        rows = [_row(action) for action in group._group_actions if _documented(action)]
        if rows:
            yield group.title or "options", rows


def _documented(action: argparse.Action) -> bool:
    return action.help is not argparse.SUPPRESS and not isinstance(
        action, argparse._HelpAction | argparse._SubParsersAction)


def _row(action: argparse.Action) -> Row:
    names = ", ".join(f"`{name}`" for name in action.option_strings) or f"`{action.metavar or action.dest}`"
    return names, _value(action), _default(action), _escape(_help(action))


def _value(action: argparse.Action) -> str:
    if not action.option_strings or action.nargs == 0:
        return "–"
    if action.metavar is not None:
        value = str(action.metavar)
    elif action.choices is not None:
        value = "{" + ",".join(str(choice) for choice in action.choices) + "}"
    else:
        value = action.dest.upper()
    if action.nargs == "?":
        value = f"[{value}]"
    elif action.nargs in ("+", "*"):
        value = f"{value} …"
    return f"`{_escape(value)}`"


def _default(action: argparse.Action) -> str:
    default = action.default
    if default is None or default is False or default is argparse.SUPPRESS or action.nargs == 0:
        return "–"
    return f"`{_escape(str(default))}`"


def _help(action: argparse.Action) -> str:
    """The help text with argparse's %-expansion (``%%`` → ``%``, ``%(default)s``), as ``-h`` shows it."""
    params = {key: value for key, value in vars(action).items() if value is not argparse.SUPPRESS}
    if action.choices is not None:
        params["choices"] = ", ".join(str(choice) for choice in action.choices)
    return str(action.help or "") % params


def _sentence(text: str | None) -> str:
    text = (text or "").replace("%%", "%")
    return f"{text[0].upper()}{text[1:]}." if text else ""


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def main() -> int:
    sys.stdout.buffer.write(render().encode("utf-8"))  # UTF-8 whatever the locale: the file is committed
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
