"""Label validation: every bad label column gets one clear LabelError."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from upweight import LabelError
from upweight._labels import as_label_array, encode_labels


@pytest.mark.parametrize(
    "y",
    [
        [0, 1, 1, 0],
        np.array([0, 1, 1, 0], dtype=np.int8),
        np.array([0.0, 1.0, 1.0, 0.0]),
        np.array([False, True, True, False]),
        ["a", "b", "b", "a"],
        np.array(["a", "b", "b", "a"], dtype=object),
        pd.Series([0, 1, 1, 0]),
        pd.Series(["a", "b", "b", "a"], dtype="category"),
        pd.Series([0, 1, 1, 0], dtype="Int64"),
        pl.Series([0, 1, 1, 0]),
        pl.Series(["a", "b", "b", "a"]),
        pa.array([0, 1, 1, 0]),
        pa.chunked_array([[0, 1], [1, 0]]),
        pa.array(["a", "b", "b", "a"]).dictionary_encode(),
        np.array([[0], [1], [1], [0]]),
    ],
    ids=lambda y: type(y).__name__,
)
def test_accepted_label_containers(y):
    encoded = encode_labels(y)
    assert len(encoded.classes) == 2
    assert encoded.counts.tolist() == [2, 2]
    assert encoded.codes.tolist() == [0, 1, 1, 0]


def test_float_labels_become_integer_classes():
    assert encode_labels(np.array([0.0, 1.0, 1.0])).classes == (0, 1)


def test_negative_and_large_integers_are_classes():
    encoded = encode_labels(np.array([-1, 5_000_000, -1]))
    assert encoded.classes == (-1, 5_000_000)
    assert encoded.counts.tolist() == [2, 1]


@pytest.mark.parametrize(
    ("y", "needle"),
    [
        (np.array([0.0, np.nan, 1.0]), "1 missing value"),
        ([0, None, 1], "missing value"),
        (pd.Series([0, None, 1], dtype="Int64"), "missing value"),
        (pd.Series([0.0, np.nan, 1.0]), "has 1 missing value"),
        (pl.Series([0.0, None, float("nan"), 1.0]), "has 2 missing value"),
        (pl.Series([0, None, 1]), "missing value"),
        (pa.array([0, None, 1]), "missing value"),
        (np.array([0.5, 1.0, 0.0]), "continuous"),
        (np.array([0.0, np.inf]), "infinite"),
        (np.array([1, "a"], dtype=object), "mixes value types"),
        (np.zeros((3, 2)), "1-D"),
        (np.array([]), "empty"),
        ({0: 1, 1: 2}, "mapping"),
        (np.array(["2020-01-01"], dtype="datetime64[D]"), "dtype"),
    ],
)
def test_rejected_labels_say_what_is_wrong(y, needle):
    with pytest.raises(LabelError, match=needle) as info:
        as_label_array(y)
    assert "\n" not in str(info.value)


def test_labels_differing_only_in_type_are_rejected():
    with pytest.raises(LabelError):
        encode_labels(np.array([True, 1, 0], dtype=object))


@pytest.mark.parametrize("given", [[1, "x", 1, 1], (True, "x", "x"), [2.5, "b", "b"]])
def test_a_list_that_mixes_types_is_refused_not_read_as_strings(given):
    """NumPy turns [1, "x"] into the strings "1" and "x": the plan named classes y lacks."""
    import upweight

    with pytest.raises(LabelError, match="mixes value types"):
        upweight.plan(list(given), factor=2)


def test_a_list_of_strings_is_still_read_as_strings():
    import upweight

    assert upweight.plan(["a", "b", "b", "b"], factor=3).labels == ("a", "b")
