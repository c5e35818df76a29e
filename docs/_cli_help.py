"""Write the ``upweight`` command's ``--help`` output into files that ``cli.rst`` includes.

Run by ``conf.py`` on every build, so the page shows what the installed command prints and
cannot drift from it. Each command runs in a fresh process (as a user would run it) with
the terminal width fixed at :data:`WIDTH` columns and colour off, so the text is the same
on every machine. Run it alone to look at the files: ``python docs/_cli_help.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Where the help texts go (ignored by git; ``cli.rst`` includes them).
OUT = HERE / "_generated"
#: Terminal width of the help text: what fits the page's code blocks without wrapping.
WIDTH = 88
#: Variables that make rich treat a pipe as a terminal (own width, colour, spinners): dropped,
#: so that the text is what a user sees from a pipe or in a file.
TERMINAL_FORCED = ("FORCE_COLOR", "FORCE_TERMINAL", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
#: ``upweight --help`` first, then each command in the order ``--help`` lists them.
COMMANDS: tuple[tuple[str, ...], ...] = ((), ("analyze",), ("sample",), ("sweep",), ("demo",))


def help_text(command: tuple[str, ...]) -> str:
    """What ``upweight COMMAND --help`` prints, trailing spaces removed."""
    env = dict(os.environ, COLUMNS=str(WIDTH), NO_COLOR="1", TERM="dumb")
    for name in TERMINAL_FORCED:
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE.parent / "src"), *filter(None, [env.get("PYTHONPATH")])]
    )
    done = subprocess.run(
        [sys.executable, "-m", "upweight", *command, "--help"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=True,
        timeout=120,
    )
    lines = [line.rstrip() for line in done.stdout.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines).rstrip() + "\n"


def write(out: Path = OUT) -> list[Path]:
    """Write one file per command, ``help_<command>.txt`` (``help_upweight.txt`` for none)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for command in COMMANDS:
        path = out / f"help_{command[0] if command else 'upweight'}.txt"
        text = help_text(command)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")  # unchanged files keep their time stamp
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(path)
