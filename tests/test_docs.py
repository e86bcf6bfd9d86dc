"""The documentation cannot drift from the code: the generated option reference, the README's two commands,
its size, the command lines and links in README.md and docs/*.md."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from infermeter.cli import build_parser
from infermeter.cli.reference import render, subcommands

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
OPTIONS = ROOT / "docs" / "options.md"
COMPATIBILITY = ROOT / "docs" / "compatibility.md"
README_LIMIT = 20_000  # bytes: a guide; the reference lives in docs/
DEMO_COMMAND = ('python3 -m venv .venv && .venv/bin/pip install -e ".[openvino,onnxruntime]" && '
                ".venv/bin/infermeter run zoo:resnet18 -t 10")
CI_COMMENT = "# README test command (keep identical to the one in README.md):"


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _fenced(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block."""
    return re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M)


def _blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in _fenced(text) if lang == language]


def test_options_reference_is_current() -> None:
    if _text(OPTIONS) != render():
        pytest.fail("docs/options.md is out of date: run python -m infermeter.cli.reference > docs/options.md")


def test_readme_is_a_guide_of_at_most_20_kb() -> None:
    size = len(README.read_bytes())
    assert size <= README_LIMIT, f"README.md is {size} bytes (limit {README_LIMIT}): move reference material to docs/"


def test_readme_first_command_sets_up_and_runs_the_demo() -> None:
    assert _blocks(_text(README), "bash")[0].strip() == DEMO_COMMAND


def test_readme_test_command_is_the_one_ci_runs() -> None:
    lines = _text(ROOT / ".ci" / "run").splitlines()
    ci_command = lines[lines.index(CI_COMMENT) + 1]
    assert ci_command.startswith("python3 -m venv .venv && ")
    commands = [block.strip() for block in _blocks(_text(README), "bash")]
    assert commands[1] == ci_command, "README's test command and .ci/run's differ: keep them identical"


def _command_lines(text: str) -> list[str]:
    """infermeter command lines: every line of the bash blocks, and '$ infermeter …' lines of output blocks."""
    found = []
    for language, block in _fenced(text):
        for line in block.replace("\\\n", " ").splitlines():
            if language != "bash" and not line.startswith("$ infermeter "):
                continue
            for part in (piece.strip() for piece in line.removeprefix("$ ").split("&&")):
                if part.startswith(("infermeter ", ".venv/bin/infermeter ")):
                    found.append(re.sub(r"\s\d?>\s*\S+", "", part))  # no shell redirections
    return found


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda path: path.name)
def test_documented_command_lines_parse(path: Path) -> None:
    for line in _command_lines(_text(path)):
        build_parser().parse_args(shlex.split(line)[1:])  # raises UsageError naming the bad flag or value


def test_the_readme_shows_command_lines() -> None:
    assert len(_command_lines(_text(README))) >= 10


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda path: path.name)
def test_local_links_resolve(path: Path) -> None:
    text = re.sub(r"^```.*?^```", "", _text(path), flags=re.S | re.M)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        assert linked.exists(), f"{path.name}: link to {target}: no such file"
        if anchor and linked.suffix == ".md":
            headings = {_slug(h) for h in re.findall(r"^#+ (.*)$", _text(linked), re.M)}
            assert anchor in headings, f"{path.name}: link to {target}: no such heading in {linked.name}"


def _compatibility_flags() -> set[str]:
    """The option spellings in the first column of docs/compatibility.md's tables."""
    flags = set()
    for row in re.findall(r"^\| (`(?:[^|\\]|\\.)*?) \|", _text(COMPATIBILITY), re.M):
        for code in re.findall(r"`([^`]*)`", row):
            flags.update(token for token in re.split(r"[\s/,]+", code) if token.startswith("-"))
    return flags


def test_compatibility_tables_name_real_options() -> None:
    run = dict((name, parser) for name, _, parser in subcommands(build_parser()))["run"]
    spellings = {flag for action in run._actions for flag in action.option_strings}
    listed = _compatibility_flags()
    assert listed - spellings == set(), "docs/compatibility.md names options that infermeter run does not have"
    missing = [action.option_strings[0] for action in run._actions if action.option_strings
               and action.help is not None and not set(action.option_strings) & listed
               and action.dest != "help"]
    assert missing == [], f"docs/compatibility.md has no row for {missing}: add one (engines, original spelling)"
