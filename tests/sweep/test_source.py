"""Sources: the label column once, and only the rows asked for."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from upweight import FileError, InputError, LabelError, UpweightError
from upweight._sweep._source import ArraySource, FileSource, as_source


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    n = 1_000
    return pa.table(
        {
            "a": rng.normal(size=n).astype(np.float32),
            "b": rng.normal(size=n),
            "fraud": (rng.random(n) < 0.1).astype(np.int8),
            "c": np.arange(n, dtype=np.int64),
        }
    )


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_file_rows_equal_the_table_rows(table, tmp_path, fmt):
    path = tmp_path / f"data.{fmt}"
    if fmt == "parquet":
        pq.write_table(table, path, row_group_size=128)
    else:
        pacsv.write_csv(table, path)
    source = FileSource(path, label="fraud")
    assert source.feature_names == ("a", "b", "c")
    assert source.labels().tolist() == table.column("fraud").to_pylist()
    positions = np.array([0, 5, 127, 128, 129, 640, 999])
    X, y = source.rows(positions)
    expected = np.column_stack(
        [table.column(n).to_numpy().astype(np.float64) for n in ("a", "b", "c")]
    )[positions]
    np.testing.assert_allclose(X, expected, rtol=1e-6)
    assert y.tolist() == table.column("fraud").to_numpy()[positions].tolist()


def spoil_all_but(path, keep: str) -> None:
    """Overwrite the bytes of every column chunk but ``keep``'s (the footer stays sound)."""
    meta = pq.ParquetFile(path).metadata
    with open(path, "r+b") as handle:
        for g in range(meta.num_row_groups):
            for c in range(meta.num_columns):
                chunk = meta.row_group(g).column(c)
                if chunk.path_in_schema == keep:
                    continue
                if chunk.has_dictionary_page:
                    start = chunk.dictionary_page_offset
                else:
                    start = chunk.data_page_offset
                handle.seek(start)
                handle.write(b"\xff" * chunk.total_compressed_size)


def test_files_go_through_the_file_engine_label_column_first(table, tmp_path):
    folder, spoiled = tmp_path / "parts", tmp_path / "spoiled"
    for where in (folder, spoiled):
        where.mkdir()
        pq.write_table(table.slice(0, 600), where / "a.parquet")
        pq.write_table(table.slice(600), where / "b.parquet")
    for part in spoiled.iterdir():
        spoil_all_but(part, "fraud")
    # the counting pass reads the label column and nothing else: it reads the labels of
    # files whose feature columns are garbage, from which no row can be read
    source = FileSource(spoiled, label="fraud")  # a directory, through DuckDB
    assert source.labels().tolist() == table.column("fraud").to_pylist()
    with pytest.raises(UpweightError):  # the features are garbage indeed
        source.rows(np.array([250]))
    source = FileSource(folder, label="fraud")
    assert source.labels().tolist() == table.column("fraud").to_pylist()
    X, _ = source.rows(np.array([250, 599, 600, 730]))
    assert X[:, 2].tolist() == [250, 599, 600, 730]


@pytest.mark.parametrize("kind", ["pyarrow", "pandas", "polars"])
def test_frames_with_a_label_column(table, kind):
    frame = {"pyarrow": lambda t: t, "pandas": pa.Table.to_pandas}.get(kind)
    if kind == "polars":
        polars = pytest.importorskip("polars")
        frame = polars.from_arrow
    source = as_source(frame(table), label="fraud", y=None)
    assert source.feature_names == ("a", "b", "c")
    X, y = source.rows(np.array([3, 4]))
    assert X.shape == (2, 3) and y.tolist() == table.column("fraud").to_pylist()[3:5]


def test_arrays_and_their_fingerprint(table):
    X = np.column_stack([table.column("a").to_numpy(), table.column("b").to_numpy()])
    y = table.column("fraud").to_numpy()
    one, two = ArraySource(X, y), ArraySource(X.copy(), y.copy())
    assert one.fingerprint() == two.fingerprint()
    flipped = y.copy()
    flipped[0] = 1 - flipped[0]
    assert ArraySource(X, flipped).fingerprint() != one.fingerprint()


def test_bad_input_gets_one_clear_error(table, tmp_path):
    with pytest.raises(LabelError, match="label column 'nope' not found"):
        as_source(table, label="nope", y=None)
    with pytest.raises(InputError, match="give the labels"):
        as_source(np.zeros((3, 2)), label=None, y=None)
    import datetime

    days = pa.array([datetime.date(2026, 1, 1)] * table.num_rows)
    dated = table.append_column("day", days).append_column("when", days)
    with pytest.raises(InputError, match=r"'day' \(date32\[day\]\), 'when'.*--drop day,when"):
        as_source(dated, label="fraud", y=None)
    with pytest.raises(InputError, match=r"--features names columns not in the frame: 'nope'"):
        as_source(table, label="fraud", y=None, features=["nope"])
    with pytest.raises(InputError, match=r"every feature column .* is left out"):
        as_source(
            table, label="fraud", y=None, drop=[n for n in table.column_names if n != "fraud"]
        )
    with pytest.raises(InputError, match=r"the label is never a feature"):
        as_source(table, label="fraud", y=None, drop=["fraud"])
    with pytest.raises(InputError, match="rows but y has"):
        as_source(np.zeros((3, 2)), label=None, y=[0, 1])
    with pytest.raises(FileError):
        as_source(tmp_path / "missing.parquet", label="fraud", y=None)


def test_the_fingerprint_covers_the_feature_values():
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (rng.random(200) < 0.2).astype(int)
    base = ArraySource(X, y).fingerprint()
    assert ArraySource(X.copy(), y).fingerprint() == base
    changed = X.copy()
    changed[7, 2] += 1e-9
    assert ArraySource(changed, y).fingerprint() != base
    sparse = sp.random(200, 3, density=0.3, random_state=0, format="csr")
    other = sparse.copy()
    other.data[0] += 1
    assert ArraySource(sparse, y).fingerprint() != ArraySource(other, y).fingerprint()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_the_file_fingerprint_covers_the_contents(table, tmp_path, fmt):
    path = tmp_path / f"data.{fmt}"
    write = (
        (lambda t: pq.write_table(t, path))
        if fmt == "parquet"
        else (lambda t: pacsv.write_csv(t, path))
    )
    write(table)
    base = FileSource(path, label="fraud").fingerprint()
    assert FileSource(path, label="fraud").fingerprint() == base
    write(table.set_column(0, "a", pa.array(np.zeros(table.num_rows, dtype=np.float32))))
    assert FileSource(path, label="fraud").fingerprint() != base


def test_a_pandas_index_is_never_a_feature(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=400), "y": np.repeat([0, 1], [340, 60])})
    shuffled = frame.sample(frac=1, random_state=0)  # the index now tells the label
    source = as_source(shuffled, label="y", y=None)
    assert source.columns.features == ("a",)
    path = tmp_path / "indexed.parquet"
    shuffled.to_parquet(path)  # pandas writes the index as __index_level_0__
    from_file = FileSource(path, label="y")
    assert from_file.columns.features == ("a",)
    assert from_file.columns.dropped == ("__index_level_0__",)


def test_categorical_and_mixed_columns_of_a_frame(table):
    pd = pytest.importorskip("pandas")
    frame = table.to_pandas()
    frame["kind"] = pd.Categorical(np.where(np.arange(len(frame)) % 3 == 0, "a", "b"))
    frame["code"] = pd.Categorical(np.arange(len(frame)) % 4)
    source = as_source(frame, label="fraud", y=None)
    assert source.columns.kinds["kind"] == "categorical"
    mixed = table.to_pandas()
    mixed["note"] = ["x", 1.5] * (len(mixed) // 2)
    with pytest.raises(InputError, match=r"could not be read.*one type") as info:
        as_source(mixed, label="fraud", y=None)
    assert "\n" not in str(info.value)


def test_a_file_and_the_same_frame_flag_the_same_columns(tmp_path):
    """Flags were decided from a file's validation and test rows only: a column with one
    odd value looked constant, a nearly unique one unique."""
    n = 3_000
    rng = np.random.default_rng(0)
    table = pa.table(
        {
            "days": np.arange(n) // 1 - (np.arange(n) == 5),  # one repeat among 3,000
            "region": ["US"] + ["EU"] * (n - 1),  # one odd value
            "user_id": np.arange(n) + 10_000,  # an ID
            "amount": rng.normal(size=n),  # floats: never an ID
            "y": (rng.random(n) < 0.1).astype(int),
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    from_file = FileSource(path, label="y")
    from_file.prepare(frame=False)
    from_frame = as_source(table, label="y", y=None)
    assert from_file.flagged == from_frame.flagged == {"user_id": "unique on every row: an ID?"}
    constant = table.append_column("batch", pa.array([7] * n))
    pq.write_table(constant, path)
    again = FileSource(path, label="y")
    again.prepare(frame=False)
    assert again.flagged["batch"].startswith("constant")


def test_a_named_pandas_index_in_a_file_or_table_is_never_a_feature(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], [340, 60])
    frame = pd.DataFrame({"a": rng.normal(size=400), "y": y})
    frame.index = pd.Index(np.arange(400) // 50, name="batch")  # sorted by label: a leak
    path = tmp_path / "named.parquet"
    frame.to_parquet(path)
    from_file = FileSource(path, label="y")
    assert from_file.columns.features == ("a",) and from_file.columns.dropped == ("batch",)
    multi = frame.set_index([frame.index, pd.Index(np.arange(400), name="row")])
    table = pa.Table.from_pandas(multi)
    assert as_source(table, label="y", y=None).columns.features == ("a",)
    picked = as_source(table, label="y", y=None, features=["a", "batch"])  # asked for: kept
    assert picked.columns.features == ("batch", "a") or picked.columns.features == ("a", "batch")


def test_a_real_column_named_like_a_pandas_index_is_kept(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"__index_level_0__": np.arange(300.0) % 7, "y": [0] * 270 + [1] * 30})
    assert as_source(frame, label="y", y=None).columns.features == ("__index_level_0__",)
    path = tmp_path / "range.parquet"
    frame.to_parquet(path)  # a RangeIndex is written as metadata, not as that column
    assert FileSource(path, label="y").columns.features == ("__index_level_0__",)
