"""Writing outputs: formats by extension, atomic commits, temporaries, no clobbering."""

from __future__ import annotations

import time

import pytest

from upweight import FileError
from upweight._files._commit import atomic_path
from upweight._files._formats import file_format, plan_sidecar


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.csv", "csv"),
        ("a.CSV", "csv"),
        ("a.csv.gz", "csv"),
        ("a.parquet", "parquet"),
        ("a.pq", "parquet"),
    ],
)
def test_format_by_extension(name, fmt):
    assert file_format(name) == fmt


def test_unknown_extension():
    with pytest.raises(FileError, match=r"unsupported file type: a\.xlsx"):
        file_format("a.xlsx")


def test_atomic_path_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_csv_plan_goes_beside_it():
    assert plan_sidecar("out/o.csv").name == "o.csv.plan.json"
    assert plan_sidecar("o.parquet") is None


def test_flushing_a_file_while_it_is_written(tmp_path):
    import threading

    from upweight._files._commit import flushing

    path = tmp_path / "growing.bin"
    with flushing(path, every_seconds=0.01):  # the file does not exist yet: no error
        time.sleep(0.03)
        with open(path, "wb") as f:
            for _ in range(5):
                f.write(b"x" * 100_000)
                f.flush()
                time.sleep(0.02)
    assert path.stat().st_size == 500_000
    assert not [t for t in threading.enumerate() if t.name == "upweight-flush"]


def test_temporary_names_are_hidden_and_say_who_made_them(tmp_path):
    import os

    from upweight._files._commit import temporary

    tmp = temporary(tmp_path / "train.parquet")
    assert tmp.parent == tmp_path
    assert tmp.name.startswith(".train.parquet.upweight-") and tmp.name.endswith(".tmp")
    assert f"-{os.getpid()}-" in tmp.name
    long = temporary(tmp_path / ("x" * 250 + ".parquet"))  # file names stop at 255 bytes
    assert len(long.name) < 200
    with pytest.raises(FileError, match="has no name"):
        temporary("")


def test_without_overwrite_an_output_that_appeared_meanwhile_is_never_replaced(tmp_path):
    target = tmp_path / "out.txt"
    with (
        pytest.raises(FileError, match="appeared while this run was writing it"),
        atomic_path(target, overwrite=False) as tmp,
    ):
        tmp.write_text("mine")
        target.write_text("theirs")  # another run got there first
    assert target.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_folder_output_is_not_renamed_over_one_that_appeared(tmp_path):
    from upweight._files._commit import commit, temporary

    final = tmp_path / "parts"
    tmp = temporary(final)
    tmp.mkdir()
    (tmp / "a.parquet").write_text("mine")
    final.mkdir()  # empty: a plain rename would silently replace it
    with pytest.raises(FileError, match="appeared"):
        commit(tmp, final, overwrite=False)
    assert list(final.iterdir()) == [] and (tmp / "a.parquet").exists()


def test_leftovers_of_dead_processes_are_removed_and_nothing_else(tmp_path):
    import os
    import subprocess
    import sys

    from upweight._files._commit import _host, remove_stale_temporaries

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    host = _host()
    stale_file = tmp_path / f".out.parquet.upweight-{host}-{dead_pid}-0123abcd.tmp"
    stale_file.write_text("half")
    stale_dir = tmp_path / f".parts.upweight-{host}-{dead_pid}-89abcdef.tmp"
    stale_dir.mkdir()
    (stale_dir / "p.parquet").write_text("half")
    running = tmp_path / f".x.upweight-{host}-{os.getpid()}-00000000.tmp"
    running.write_text("in flight")
    other_host = tmp_path / f".y.upweight-otherhost-{dead_pid}-00000000.tmp"
    other_host.write_text("theirs")
    users = [tmp_path / "notes.tmp", tmp_path / ".hidden.tmp", tmp_path / "out.parquet"]
    for p in users:
        p.write_text("user")
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted([stale_file, stale_dir])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [running.name, other_host.name, *(p.name for p in users)]
    )


def test_a_reused_pid_does_not_keep_a_leftover(tmp_path):
    import os

    from upweight._files._commit import _host, remove_stale_temporaries

    # this process's parent is alive, but it started long before a file written "now"
    parent = os.getppid()
    leftover = tmp_path / f".out.csv.upweight-{_host()}-{parent}-0123abcd.tmp"
    leftover.write_text("half")
    old = time.time() - 10 * 365 * 86_400  # written ten years ago, before the parent started
    os.utime(leftover, (old, old))
    assert remove_stale_temporaries(tmp_path) == [leftover]


def test_a_temporary_of_a_run_in_another_pid_namespace_is_kept(tmp_path):
    """A container that shares the host name and the folder numbers its processes itself.

    Its run's process ID means nothing here: judged by it, the run looked dead and its
    temporary was removed while it wrote it.
    """
    import shutil
    import subprocess
    import sys

    from upweight._files._commit import remove_stale_temporaries

    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to start a process in a new PID namespace")
    # the writer gets a process ID that no process has out here
    free = next(p for p in range(300_000, 200_000, -1) if not _alive(p))
    script = (
        "import os, sys, time\n"
        "from upweight._files._commit import temporary\n"
        f"with open('/proc/sys/kernel/ns_last_pid', 'w') as f: f.write('{free - 1}')\n"
        "if os.fork() == 0:\n"
        f"    tmp = temporary({str(tmp_path / 'o.csv')!r}); tmp.write_text('half')\n"
        "    print(tmp.name, flush=True); time.sleep(30)\n"
        "os.wait()\n"
    )
    other = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None
        line = other.stdout.readline().strip()
        if not line:
            pytest.skip(f"unshare is not permitted here: {other.stderr.read().strip()[:200]}")
        assert f"-{free}-" in line
        assert remove_stale_temporaries(tmp_path) == []
        assert (tmp_path / line).read_text() == "half"
    finally:
        other.kill()
        other.wait()


def test_a_folder_locked_by_another_program_is_waited_for_then_refused(tmp_path, monkeypatch):
    import fcntl
    import os

    from upweight._files import _commit

    monkeypatch.setattr(_commit, "LOCK_WAIT", 0.3)
    held = os.open(tmp_path, os.O_RDONLY)  # `flock DIR sleep 90`, as a backup job does
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        start = time.monotonic()
        with (
            pytest.raises(FileError, match=r"locked by another program for over 0 s"),
            _commit.folder_locked(tmp_path),
        ):
            pass
        assert time.monotonic() - start < 5
    finally:
        os.close(held)
    with _commit.folder_locked(tmp_path):  # free again
        pass


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
