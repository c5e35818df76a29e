"""Interruptions: SIGINT, SIGTERM and SIGHUP end a run the same careful way."""

from __future__ import annotations

import os
import signal

import pytest

from upweight._signals import Interrupted, current, deferred, handled


@pytest.mark.parametrize(
    ("signum", "code", "words"),
    [
        (signal.SIGINT, 130, "interrupted"),
        (signal.SIGTERM, 143, "stopped by SIGTERM"),
        (signal.SIGHUP, 129, "stopped by SIGHUP"),
    ],
)
def test_a_signal_becomes_an_interruption_with_the_shells_exit_code(signum, code, words):
    with pytest.raises(Interrupted) as info, handled():
        os.kill(os.getpid(), signum)
    assert isinstance(info.value, KeyboardInterrupt)
    assert info.value.exit_code == code and info.value.describe() == words
    assert current().signum == signum  # what DuckDB's own "interrupted" error stands for


def test_handlers_are_restored_after_the_block():
    before = signal.getsignal(signal.SIGTERM)
    with handled():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_deferred_holds_a_signal_until_the_block_is_done():
    steps = []
    with pytest.raises(Interrupted) as info, handled(), deferred():
        os.kill(os.getpid(), signal.SIGTERM)
        steps.append("after the signal")
    assert steps == ["after the signal"]
    assert info.value.signum == signal.SIGTERM


def test_a_signal_during_an_import_waits_until_the_import_is_done(tmp_path, monkeypatch):
    import importlib
    import sys
    import threading
    import time

    (tmp_path / "slow_module_for_the_test.py").write_text(
        "import time\ntime.sleep(0.3)\nDONE = True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGTERM)).start()
    with pytest.raises(Interrupted), handled():
        importlib.import_module("slow_module_for_the_test")
        time.sleep(5)  # the signal, sent again, arrives here
    assert sys.modules["slow_module_for_the_test"].DONE  # whole, not half-initialised


def test_signals_after_the_first_do_not_cut_its_cleanup_short():
    cleaned = []
    with pytest.raises(Interrupted) as info, handled():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:  # the cleanup, flooded with more signals
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP) * 5:
                os.kill(os.getpid(), signum)
            with deferred():  # a commit in the cleanup is not interrupted at its end either
                os.kill(os.getpid(), signal.SIGINT)
            cleaned.append("done")
    assert cleaned == ["done"]
    assert info.value.signum == signal.SIGTERM and info.value.exit_code == 143
    assert current().signum == signal.SIGTERM  # the first one, not the last


def test_each_run_is_interrupted_by_its_own_first_signal():
    for signum in (signal.SIGTERM, signal.SIGINT):
        with pytest.raises(Interrupted) as info, handled():
            os.kill(os.getpid(), signum)
        assert info.value.signum == signum


def _run(script: str) -> tuple[int, str]:
    import subprocess
    import sys
    import textwrap

    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=60
    )
    return done.returncode, done.stderr


def test_a_library_error_caused_by_the_signal_is_reported_as_the_interruption():
    """DuckDB turns Ctrl-C into RuntimeError("Query interrupted"), matplotlib into odd
    ValueErrors: those ended as "unexpected ..." with exit 1."""
    code, err = _run(
        """
        import os, signal, sys, time
        import upweight
        from upweight._cli import main

        def sample_file(*args, **kwargs):
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)
            except KeyboardInterrupt:
                raise RuntimeError("Query interrupted") from None

        upweight.sample_file = sample_file
        sys.exit(main(["sample", "in.parquet", "-l", "y", "-k", "5", "-o", "o.parquet"]))
        """
    )
    assert code == 130 and err.strip() == "interrupted; no partial output was left", err


def test_a_signal_while_the_options_are_parsed_is_said_and_keeps_its_exit_code():
    """Typer turns an interruption outside the command (while it parses the options) into
    a bare exit code 130: found as exit 130 with nothing on standard error, about one run in
    twenty when Ctrl-C came 0.03-0.2 s after the start on a busy machine."""
    code, err = _run(
        """
        import os, signal, sys
        import typer.core
        from upweight._cli import main

        parse = typer.core.TyperGroup.make_context

        def make_context(self, *args, **kwargs):
            os.kill(os.getpid(), signal.SIGTERM)
            return parse(self, *args, **kwargs)

        typer.core.TyperGroup.make_context = make_context
        sys.exit(main(["sample", "in.parquet", "-l", "y", "-k", "5", "-o", "o.parquet"]))
        """
    )
    assert code == 143 and err.strip() == "stopped by SIGTERM; no partial output was left", err


def test_a_signal_raised_where_python_cannot_raise_interrupts_a_moment_later():
    """In a weakref callback or __del__ the interruption was printed as "Exception
    ignored in ..." with a traceback, and the run went on as if no signal had come."""
    code, err = _run(
        """
        import gc, os, signal, sys, time
        from upweight._signals import handled

        class Dropped:
            def __del__(self):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.2)  # the handler raises here, inside __del__

        with handled():
            try:
                Dropped()
                gc.collect()
                time.sleep(5)
                print("not interrupted")
            except KeyboardInterrupt:
                sys.exit(7)
        """
    )
    assert code == 7 and "Exception ignored" not in err, err


def test_a_signal_ignored_at_start_stays_ignored():
    """`nohup upweight ...` ignores SIGHUP; upweight's own handler undid that."""
    code, err = _run(
        """
        import os, signal, sys, time
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        from upweight._signals import handled

        with handled():
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(0.2)
        print("still running")
        """
    )
    assert code == 0, err
