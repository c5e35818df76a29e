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
