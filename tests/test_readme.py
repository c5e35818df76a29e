"""Every code block in the README runs, so the landing page cannot drift from the code.

A block is Python (run in order, in one namespace, in an empty folder), shell (each line
run as a command, on a generated ``transactions.parquet``), or the set-up block, whose two
``make`` targets are checked by a dry run (running ``make test`` from inside the tests
would run the suite within itself). Any other block fails the test: add it to one of these.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import upweight

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```(?P<lang>[^\n]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    return [(m["lang"].strip(), m["body"]) for m in FENCE.finditer(README.read_text("utf-8"))]


def _commands(body: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in body.splitlines())
    return [line for line in lines if line]


def _is_setup(body: str) -> bool:
    return any(cmd.startswith("make ") for cmd in _commands(body))


def test_every_block_is_a_kind_the_tests_run():
    blocks = _blocks()
    assert blocks, "no code block found in README.md"
    for lang, body in blocks:
        assert lang in {"python", "sh"}, (
            f"README block of language {lang!r} is not run by tests/test_readme.py: "
            f"mark it python or sh\n{body}"
        )


def test_no_code_block_hides_from_the_fence_pattern():
    # tilde fences, longer fences and indented fences render as code too, but _blocks()
    # reads only ``` at the start of a line: refuse them rather than skip them
    for number, line in enumerate(README.read_text("utf-8").splitlines(), 1):
        assert not re.match(r"\s*(~~~|````)", line), f"README.md:{number}: use ``` fences"
        assert not re.match(r"\s+```", line), f"README.md:{number}: a fence must not be indented"


def test_the_set_up_block_names_the_two_make_targets():
    setup = [body for lang, body in _blocks() if lang == "sh" and _is_setup(body)]
    assert len(setup) == 1
    assert _commands(setup[0]) == ["make demo", "make test"]
    # a dry run: both targets exist and their recipes resolve (make test would be this suite)
    proc = subprocess.run(
        ["make", "-n", "demo", "test"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_the_python_blocks_run_and_print_what_they_say(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for lang, body in _blocks():
            if lang == "python":
                exec(compile(body, "README.md", "exec"), namespace)
    printed = out.getvalue().splitlines()
    # the ten lines' comments: 0.73 of batches hold no positive; a bias near +0.7 %
    assert f"{float(printed[0]):.2f}" == "0.73"
    assert f"{float(printed[1]):+.1f}" == "+0.7"
    assert printed[2].startswith("Best validation log loss: ")
    assert (tmp_path / "sweep-report" / "report.html").is_file()


@pytest.mark.slow
def test_the_shell_blocks_run(tmp_path):
    data = upweight.datasets.make_imbalanced(50_000, minority_share=0.02, random_state=0)
    pq.write_table(data.to_arrow(label="fraud"), tmp_path / "transactions.parquet")
    ran = 0
    for lang, body in _blocks():
        if lang != "sh" or _is_setup(body):
            continue
        for command in _commands(body):
            argv = shlex.split(command)
            assert argv[0] == "upweight", f"README shell line is not an upweight command: {command}"
            proc = subprocess.run(
                [sys.executable, "-m", "upweight", *argv[1:]],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
            ran += 1
    assert ran >= 3
    assert (tmp_path / "train.parquet").is_file()
    assert (tmp_path / "sweep-report" / "report.html").is_file()
