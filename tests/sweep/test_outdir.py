"""The output folder: only our own files are replaced, one writer at a time, one line a fault."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import upweight
from upweight import FileError, UpweightWarning
from upweight._cli import main
from upweight._files._commit import temporary
from upweight.datasets import make_imbalanced

FAST = {"convergence": False, "report": False, "factors": [1, 4], "cv": False}
LOCK = ".upweight-sweep.lock"


@pytest.fixture(scope="module")
def data():
    return make_imbalanced(3_000, minority_share=0.06, random_state=5)


@pytest.fixture(scope="module")
def data_file(data, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("outdir") / "data.parquet"
    pq.write_table(data.to_arrow(label="y"), path)
    return path


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def listed(folder: Path) -> set[str]:
    return set(json.loads((folder / "manifest.json").read_text())["files"])


def on_disk(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}


def snapshot(paths: list[Path]) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in paths}


# -- the manifest lists what the sweep wrote ---------------------------------------------------
def test_the_manifest_lists_every_file_the_sweep_wrote(data, tmp_path):
    out = tmp_path / "out"
    upweight.sweep(
        data.X, y=data.y, factors=[1, 4], convergence=True, convergence_batches=20, outdir=out
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "upweight.sweep/2"
    assert on_disk(out) <= listed(out)
    assert {"manifest.json", "results.parquet", "report.html", "plots/fit_time.png"} <= listed(out)
    assert any(name.startswith("runs/convergence-") for name in on_disk(out))


def test_a_refused_sweep_leaves_no_name_a_later_file_of_the_user_would_pass_for(
    data_file, tmp_path
):
    """A sweep refused after it listed its files left them listed, unwritten: a report.html
    the user put there later passed for the sweep's and was replaced, even without
    --overwrite."""
    table = pq.read_table(data_file)
    x0 = table.column(0).to_numpy().copy()
    x0[5] = np.inf  # found when the rows are read, after the folder was opened
    src = tmp_path / "inf.parquet"
    pq.write_table(table.set_column(0, table.schema.field(0), pa.array(x0)), src)
    out = tmp_path / "out"
    with pytest.raises(upweight.InputError, match="infinite values"):
        upweight.sweep(src, label="y", outdir=out, **FAST)
    assert on_disk(out) == set()  # nothing of the refused run is left
    out.mkdir(exist_ok=True)
    (out / "report.html").write_text("<h1>my notes</h1>")
    for overwrite in (False, True):
        with pytest.raises(FileError, match=r"report\.html|not sweep results"):
            upweight.sweep(
                src,
                label="y",
                outdir=out,
                model="hgb",
                overwrite=overwrite,
                **{**FAST, "report": True},
            )
        assert (out / "report.html").read_text() == "<h1>my notes</h1>"


def test_a_sweep_that_stops_early_takes_back_the_names_it_did_not_write(data, tmp_path):
    out = tmp_path / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    before = listed(out)

    def stop(*_: object) -> None:
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        upweight.sweep(
            data.X, y=data.y, outdir=out, progress=stop, **{**FAST, "factors": [1, 4, 9]}
        )
    assert listed(out) - {"manifest.json", LOCK} <= on_disk(out)
    assert listed(out) == before


def test_a_manifest_of_another_program_is_refused_even_with_overwrite(data, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    (out / "manifest.json").write_text('{"name": "my experiment", "version": 3}')
    user = [out / "runs" / "notes.txt", out / "runs" / "events.out.tfevents.1", out / "a.json"]
    for p in user:
        p.write_text("mine")
    before = snapshot([*user, out / "manifest.json"])
    with pytest.raises(FileError, match=r"manifest\.json.*not written by upweight"):
        upweight.sweep(data.X, y=data.y, outdir=out, overwrite=True, **FAST)
    from upweight._demo import run_demo

    with pytest.raises(FileError, match=r"manifest\.json.*another output folder"):
        run_demo(10_000, outdir=out, factors=[1], convergence=False)
    assert snapshot(list(before)) == before and on_disk(out) == {
        "manifest.json",
        "a.json",
        "runs/notes.txt",
        "runs/events.out.tfevents.1",
    }


def test_overwrite_replaces_only_the_files_the_sweep_wrote(data, tmp_path):
    out = tmp_path / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    ours = listed(out)
    user = [out / "runs" / "notes.txt", out / "runs" / "broken.json", out / "notes.md"]
    for p in user:
        p.write_text("{ not json, the user's own")
    before = snapshot(user)
    other = data.y.copy()
    other[:40] = 1 - other[:40]
    result = upweight.sweep(data.X, y=other, outdir=out, overwrite=True, **FAST)
    assert len(result.results) == 6
    assert snapshot(user) == before
    assert on_disk(out) - listed(out) == {"runs/notes.txt", "runs/broken.json", "notes.md"}
    assert ours <= listed(out)


@pytest.mark.parametrize("name", ["results.parquet", "plots/fit_time.png", "report.html"])
def test_a_file_of_the_user_where_the_sweep_writes_is_refused(data, tmp_path, name):
    out = tmp_path / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **FAST)  # ours, without a report yet
    (out / name).parent.mkdir(exist_ok=True)
    (out / name).write_bytes(b"the user's own")
    with pytest.raises(FileError, match=rf"{name}.*not written by upweight"):
        upweight.sweep(data.X, y=data.y, outdir=out, overwrite=True, factors=[1, 4])
    assert (out / name).read_bytes() == b"the user's own"


def test_a_user_results_file_in_a_folder_without_manifest(data, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.parquet").write_bytes(b"PAR1 the user's own")
    with pytest.raises(FileError, match=r"results\.parquet"):
        upweight.sweep(data.X, y=data.y, outdir=out, overwrite=True, factors=[1, 4])
    assert (out / "results.parquet").read_bytes() == b"PAR1 the user's own"
    assert on_disk(out) == {"results.parquet"}


def test_a_version_1_folder_is_ours_by_name(data, tmp_path):
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    (out / "plots").mkdir()
    (out / "manifest.json").write_text('{"format": "upweight.sweep/1", "label": null}')
    theirs = ["runs/logreg-k4-wnone-offset-r0.json", "runs/convergence-sgd-k4-upweight.json"]
    for name in theirs:
        (out / name).write_text("{}")
    (out / "plots" / "fit_time.png").write_bytes(b"old")
    user = [out / "runs" / "notes.txt", out / "plots" / "mine.png", out / "runs" / "x.json"]
    for p in user:
        p.write_text("mine")
    before = snapshot(user)
    upweight.sweep(data.X, y=data.y, outdir=out, overwrite=True, **FAST)
    assert snapshot(user) == before
    assert (out / "manifest.json").exists() and not (out / theirs[1]).exists()
    assert (out / theirs[0]).read_text() != "{}"  # computed again


def test_without_overwrite_a_folder_of_other_files_is_refused(data, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.md").write_text("mine")
    with pytest.raises(FileError, match="not sweep results"):
        upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    assert on_disk(out) == {"notes.md"}


# -- no output replaces an input ---------------------------------------------------------------
def test_the_results_table_never_replaces_the_input(data_file, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run(capsys, "sweep", data_file, "-l", "y", "-o", out, "-k", "1,4", "-q")
    assert code == 0, err
    (out / "results.parquet").write_bytes(data_file.read_bytes())  # now the input
    before = (out / "results.parquet").read_bytes()
    args = ["sweep", out / "results.parquet", "-l", "y", "-o", out, "-k", "1,4", "--overwrite"]
    code, _, err = run(capsys, *args)
    assert code == 2 and "would overwrite the input" in err and err.count("\n") == 1
    assert (out / "results.parquet").read_bytes() == before


def test_an_output_folder_inside_a_directory_input_is_refused(data, tmp_path):
    folder = tmp_path / "dataset"
    folder.mkdir()
    pq.write_table(data.to_arrow(label="y"), folder / "part-0.parquet")
    with pytest.raises(FileError, match="inside the input"):
        upweight.sweep(folder, label="y", outdir=folder / "sweep", overwrite=True, **FAST)
    assert on_disk(folder) == {"part-0.parquet"}


def test_an_output_the_input_glob_would_read_back_is_refused(data, tmp_path):
    folder = tmp_path / "dataset"
    folder.mkdir()
    pq.write_table(data.to_arrow(label="y"), folder / "part-0.parquet")
    fast = {**FAST, "report": True}  # results.parquet is what the glob would read back
    with pytest.raises(FileError, match="matches the input pattern"):
        upweight.sweep(folder / "*.parquet", label="y", outdir=folder, overwrite=True, **fast)
    with pytest.raises(FileError, match="matches the input pattern"):
        upweight.sweep(folder / "**" / "*.parquet", label="y", outdir=folder / "s", **fast)
    assert on_disk(folder) == {"part-0.parquet"}
    upweight.sweep(folder / "*.parquet", label="y", outdir=folder / "sweep", **fast)  # fine


# -- one writer at a time ---------------------------------------------------------------------
def test_a_second_sweep_into_a_folder_being_written_is_refused(data, tmp_path):
    out = tmp_path / "out"
    started, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def hold(done, total, text):
        started.set()
        release.wait(30)

    def first() -> None:
        try:
            upweight.sweep(data.X, y=data.y, outdir=out, progress=hold, **FAST)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert started.wait(60)
        with pytest.raises(
            FileError, match=rf"another upweight sweep is writing to .*pid {os.getpid()}"
        ):
            upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
        with pytest.raises(FileError, match="another upweight sweep"):
            upweight.sweep(data.X, y=data.y, outdir=out, overwrite=True, **FAST)
    finally:
        release.set()
        thread.join(60)
    assert not failures
    assert LOCK in listed(out)
    # once the first has finished, the folder is free again
    again = upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    assert len(again.results) == 6


def test_the_lock_of_another_process_is_respected(data, tmp_path):
    out = tmp_path / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    code = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(out / LOCK)!r}, os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.ftruncate(fd, 0); os.write(fd, str(os.getpid()).encode())\n"
        "print('locked', flush=True); sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(FileError, match=rf"\(pid {proc.pid}\); wait for it"):
            upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    finally:
        proc.communicate("")


# -- stored runs: same data only, overwrite recomputes, damage repaired -----------------------
def test_a_sweep_resumes_only_on_the_same_feature_values(data, tmp_path):
    out = tmp_path / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    noise = np.random.default_rng(0).normal(size=data.X.shape)
    with pytest.raises(FileError, match="a different data set"):
        upweight.sweep(noise, y=data.y, outdir=out, **FAST)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_file_sweep_resumes_only_on_the_same_file_contents(data, tmp_path, fmt):
    import pyarrow.csv as pacsv

    path = tmp_path / f"data.{fmt}"
    table = data.to_arrow(label="y")
    write = pq.write_table if fmt == "parquet" else pacsv.write_csv
    write(table, path)
    out = tmp_path / "out"
    upweight.sweep(path, label="y", outdir=out, **FAST)
    noise = np.random.default_rng(1).normal(size=data.X.shape)
    for j, name in enumerate(n for n in table.column_names if n != "y"):
        table = table.set_column(table.column_names.index(name), name, pa.array(noise[:, j]))
    stat = path.stat()
    write(table, path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old time
    with pytest.raises(FileError, match="a different data set"):
        upweight.sweep(path, label="y", outdir=out, **FAST)


def test_overwrite_computes_everything_again(data, tmp_path):
    out = tmp_path / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    calls: list[tuple[int, int, str]] = []
    upweight.sweep(
        data.X, y=data.y, outdir=out, overwrite=True, progress=lambda *a: calls.append(a), **FAST
    )
    assert calls[0][:2] == (0, 6)


DAMAGE = {
    "empty object": "{}",
    "list": "[]",
    "null": "null",
    "missing key": None,
    "string for a number": "string",
    "invalid JSON": '{"row": ',
    "number": "3",
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_stored_run_is_computed_again(data, tmp_path, damage):
    out = tmp_path / "out"
    first = upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    name = "logreg-k4-w4-upweight-r0.json"
    path = out / "runs" / name
    stored = json.loads(path.read_text())
    if DAMAGE[damage] is None:
        del stored["row"]["val_log_loss"]
        text = json.dumps(stored)
    elif DAMAGE[damage] == "string":
        stored["row"]["fit_seconds"] = "fast"
        text = json.dumps(stored)
    else:
        text = DAMAGE[damage]
    path.write_text(text)
    calls: list[tuple[int, int, str]] = []
    with pytest.warns(UpweightWarning, match=rf"runs/{name} was damaged; it is computed again"):
        again = upweight.sweep(
            data.X, y=data.y, outdir=out, progress=lambda *a: calls.append(a), **FAST
        )
    assert calls[0][:2] == (5, 6)
    assert [r["val_log_loss"] for r in again.results] == pytest.approx(
        [r["val_log_loss"] for r in first.results]
    )
    assert json.loads(path.read_text())["row"]["config_id"] == name[:-5]


def test_a_damaged_convergence_run_is_computed_again(data, tmp_path):
    out = tmp_path / "out"
    kwargs = {
        "factors": [1, 4],
        "report": False,
        "convergence": True,
        "convergence_batches": 20,
        "outdir": out,
    }
    upweight.sweep(data.X, y=data.y, **kwargs)
    path = next((out / "runs").glob("convergence-sgd-k4-*.json"))
    stored = json.loads(path.read_text())
    stored["val_log_loss"] = ["x"] * len(stored["val_log_loss"])
    path.write_text(json.dumps(stored))
    with pytest.warns(UpweightWarning, match="was damaged"):
        result = upweight.sweep(data.X, y=data.y, **kwargs)
    assert len(result.convergence) >= 2
    assert all(isinstance(v, float) for v in json.loads(path.read_text())["val_log_loss"])


def test_a_sound_resume_warns_nothing(data, tmp_path):
    out = tmp_path / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        upweight.sweep(data.X, y=data.y, outdir=out, **FAST)


# -- output faults: one line, exit 2 ----------------------------------------------------------
@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda out: out.write_text("a file"), "out is a file; give a folder name"),
        (
            lambda out: (out.mkdir(), (out / "runs").write_text("a file")),
            "runs is a file, where the sweep keeps its runs",
        ),
        (
            lambda out: (out.mkdir(), (out / "plots").write_text("a file")),
            "plots is a file, where the sweep keeps its plots",
        ),
        (
            lambda out: (out / "results.parquet").mkdir(parents=True),
            "results.parquet is a folder, where the sweep writes a file",
        ),
        (
            lambda out: (out / "runs" / "logreg-k1-w1-upweight-r0.json").mkdir(parents=True),
            "r0.json is a folder, where the sweep writes a file",
        ),
        (
            lambda out: (out.parent / "blocker").write_text("a file"),
            "could not create the output folder",
        ),
    ],
    ids=[
        "dir-is-file",
        "runs-is-file",
        "plots-is-file",
        "results-is-folder",
        "run-is-folder",
        "parent-is-file",
    ],
)
def test_a_file_where_a_folder_belongs_is_one_line(data_file, tmp_path, capsys, setup, message):
    out = tmp_path / "case" / "out"
    out.parent.mkdir()
    setup(out)
    target = out if "could not create" not in message else out.parent / "blocker" / "out"
    args = ["sweep", data_file, "-l", "y", "-o", target, "-k", "1,4", "--no-convergence", "--no-cv"]
    code, _, err = run(capsys, *args, "--overwrite")
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err
    assert "unexpected" not in err


#: The command line in a fresh interpreter whose file size limit (RLIMIT_FSIZE) drops to
#: ``argv[1]`` bytes once ``argv[2]`` configurations are done (told by the sweep's progress
#: callback): the kernel then refuses every write past the limit (EFBIG), as a full disk
#: would. matplotlib is loaded first, so that its caches are written before.
LIMITED = """
import resource, sys
import matplotlib.pyplot
import upweight
from upweight._cli import main

limit, after = int(sys.argv[1]), int(sys.argv[2])
sweep = upweight.sweep

def limited(*args, progress=None, **kwargs):
    def watch(done, total, text):
        if done >= after:
            hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        if progress is not None:
            progress(done, total, text)
    return sweep(*args, progress=watch, **kwargs)

upweight.sweep = limited
sys.exit(main(sys.argv[3:]))
"""


def run_limited(limit: int, after: int, *args) -> tuple[int, str]:
    """Exit code and standard error of the command line under a file size limit."""
    pytest.importorskip("resource")
    src = str(Path(upweight.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("UPWEIGHT_DEBUG", None)
    command = [sys.executable, "-c", LIMITED, str(limit), str(after), *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    return done.returncode, done.stderr


def test_no_room_while_storing_runs_is_one_line(data_file, tmp_path):
    out = tmp_path / "out"
    args = ["sweep", data_file, "-l", "y", "-o", out, "-k", "1,4", "-q"]
    code, err = run_limited(0, 2, *args)  # no byte more once two runs are stored
    assert code == 2 and err.count("\n") == 1, err
    assert "could not write" in err and "runs/" in err and "free some space" in err
    assert len(list((out / "runs").glob("*.json"))) == 2


def test_no_room_while_writing_the_report_is_one_line(data_file, tmp_path):
    out = tmp_path / "out"
    args = ["sweep", data_file, "-l", "y", "-o", out, "-k", "1,4", "--no-convergence", "-q"]
    # from the start, files up to 32 kB: the runs (2 kB) and results.parquet (11 kB) fit,
    # the plots (40 kB and more) do not
    code, err = run_limited(32_000, 0, *args)
    assert code == 2 and err.count("\n") == 1, err
    assert "could not write" in err and "plots/" in err and "free some space" in err
    assert (out / "results.parquet").is_file()
    assert not [p for p in out.rglob("*") if p.name.startswith(".") and p.name != LOCK]


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    path.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]
    ).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_really_full_disk_is_one_line(data_file, tmp_path, capsys):
    with tmpfs(tmp_path / "disk", "200k") as disk:
        out = disk / "out"
        code, _, err = run(capsys, "sweep", data_file, "-l", "y", "-o", out, "-k", "1,4")
        assert code == 2, err
        assert err.startswith("error: could not write") and err.count("\n") == 1
        assert "No space left" in err
        assert not [p for p in out.rglob("*") if ".upweight-" in p.name and p.name != LOCK]


def test_a_folder_made_read_only_mid_run_is_one_line(data_file, tmp_path, capsys):
    with tmpfs(tmp_path / "disk", "50m") as disk:
        out = disk / "out"
        real = upweight.sweep

        def readonly_after_two(*args, **kwargs):
            progress = kwargs["progress"]

            def wrapped(done, total, text):
                if done == 2:
                    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
                if progress is not None:
                    progress(done, total, text)

            kwargs["progress"] = wrapped
            return real(*args, **kwargs)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(upweight, "sweep", readonly_after_two)  # what the command calls
            args = ["sweep", data_file, "-l", "y", "-o", out, "-k", "1,4", "--no-convergence"]
            code, _, err = run(capsys, *args)
        assert code == 2, err
        assert err.startswith("error: could not write") and err.count("\n") == 1
        assert "Read-only file system" in err
        assert len(list((out / "runs").glob("*.json"))) == 2


# -- temporaries ----------------------------------------------------------------------------
def test_no_visible_temporary_folder_and_stale_temporaries_are_removed(data, tmp_path):
    out = tmp_path / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = []
    for folder in (out, out / "runs", out / "plots"):
        folder.mkdir(exist_ok=True)
        name = temporary(folder / "x.json").name.replace(f"-{os.getpid()}-", f"-{dead.pid}-")
        (folder / name).write_text("half")
        stale.append(folder / name)
    folders: set[str] = set()

    def look(done: int, total: int, text: str) -> None:  # the folder as the sweep runs
        folders.update(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_dir())

    upweight.sweep(data.X, y=data.y, outdir=out, overwrite=True, progress=look, **FAST)
    look(0, 0, "after")
    assert folders == {"runs", "plots"}
    assert not any(p.exists() for p in stale)
    assert on_disk(out) <= listed(out)


def test_a_file_another_program_writes_during_the_sweep_is_never_replaced(data, tmp_path):
    out = tmp_path / "out"
    written = []

    def another_program(done: int, total: int, text: str) -> None:
        if done == 1 and not written:  # a `sample -o out/results.parquet` meanwhile
            (out / "results.parquet").write_bytes(b"theirs")
            written.append(text)

    with pytest.raises(FileError, match="written by another program while the sweep ran"):
        upweight.sweep(
            data.X, y=data.y, outdir=out, progress=another_program, **{**FAST, "report": True}
        )
    assert written and (out / "results.parquet").read_bytes() == b"theirs"


def test_a_progress_that_is_not_a_function_is_an_input_error(data, tmp_path):
    with pytest.raises(upweight.InputError, match="progress must be a function"):
        upweight.sweep(data.X, y=data.y, outdir=tmp_path / "out", progress=42, **FAST)


@pytest.mark.parametrize("link", ["symbolic", "hard", "dangling"])
def test_a_lock_file_that_is_a_link_is_refused_and_its_target_left_alone(data, tmp_path, link):
    """The sweep wrote its process ID through the link: into the user's notes."""
    out = tmp_path / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    notes = tmp_path / "notes.txt"
    if link != "dangling":
        notes.write_text("my notes")
    (out / LOCK).unlink()
    if link == "hard":
        os.link(notes, out / LOCK)
    else:
        (out / LOCK).symlink_to(notes)
    with pytest.raises(FileError, match="is a link to another file"):
        upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    if link == "dangling":
        assert not notes.exists()
    else:
        assert notes.read_text() == "my notes"


def test_a_file_the_user_puts_where_a_removed_result_was_is_not_taken_for_ours(data, tmp_path):
    """--overwrite removed the old report; the user wrote one there before the run was
    stopped: it stayed listed as the sweep's, and the next run replaced it."""
    out = tmp_path / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **{**FAST, "report": True})

    def user_writes_then_stop(*_: object) -> None:
        (out / "report.html").write_text("<h1>mine</h1>")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        upweight.sweep(
            data.X,
            y=data.y,
            outdir=out,
            overwrite=True,
            progress=user_writes_then_stop,
            **{**FAST, "report": True},
        )
    assert "report.html" not in listed(out)
    with pytest.raises(FileError, match=r"report\.html exists and was not written"):
        upweight.sweep(data.X, y=data.y, outdir=out, **{**FAST, "report": True})
    assert (out / "report.html").read_text() == "<h1>mine</h1>"


def test_a_manifest_name_with_a_control_character_is_damage(data, tmp_path):
    out = tmp_path / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"].append("runs/a\u0000b.json")
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = on_disk(out)
    with pytest.raises(FileError, match="damaged"):
        upweight.sweep(data.X, y=data.y, outdir=out, overwrite=True, **FAST)
    assert on_disk(out) == before


@pytest.mark.parametrize("outdir", [123, b"out", None, ""])
def test_an_output_folder_that_is_not_a_path_is_an_input_error(data, tmp_path, outdir):
    result = upweight.sweep(data.X, y=data.y, **FAST)
    with pytest.raises(upweight.InputError, match="output folder"):
        result.save(outdir)
    if outdir is not None:
        with pytest.raises(upweight.InputError, match="output folder"):
            upweight.sweep(data.X, y=data.y, outdir=outdir, **FAST)


def test_a_pipe_where_the_lock_goes_is_refused_at_once(data, tmp_path):
    """Opening a FIFO for reading waits for a writer: the sweep hung."""
    out = tmp_path / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    (out / LOCK).unlink()
    os.mkfifo(out / LOCK)
    with pytest.raises(FileError, match="is not a regular file"):
        upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
