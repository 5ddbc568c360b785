"""The CSV loader: every bad file gets a ValueError that says what to change, nothing else."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labcore.data.user_csv import (
    DROP_INVALID_LABEL,
    MAX_BYTES,
    MAX_ROWS,
    MIN_ROWS,
    check_size,
    megabytes,
    prepare,
    read_csv_bytes,
)


def _csv(rows: list[tuple], header: str = "x,y") -> bytes:
    return (header + "\n" + "\n".join(",".join(map(str, r)) for r in rows)).encode()


GOOD = _csv([(i, 2 * i + 1) for i in range(20)])


def test_a_good_file_gives_the_numbers_it_holds():
    data = prepare(read_csv_bytes(GOOD), ["x"], "y", "regression")
    np.testing.assert_array_equal(data.x[:, 0], np.arange(20))
    np.testing.assert_array_equal(data.y, 2 * np.arange(20) + 1)
    assert data.columns == ("x", "y") and data.n_dropped == 0


def test_semicolons_and_a_utf8_bom_are_read():
    raw = "\ufeffx;y\n" + "\n".join(f"{i};{i}" for i in range(12))
    frame = read_csv_bytes(raw.encode("utf-8"))
    assert list(frame.columns) == ["x", "y"] and len(frame) == 12


def test_quoted_commas_stay_inside_their_field():
    raw = b"x,y,label\n" + b"\n".join(f'{i},{i},"a, b"'.encode() for i in range(12))
    frame = read_csv_bytes(raw)
    assert frame["label"].iloc[0] == "a, b"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8|not a binary|binary"),
        ("x,y\n1,é\n".encode("latin-1"), "UTF-8"),
        (b"just one column\n1\n2\n", "at least two columns"),
        (b'a,b\n1,2,3,4\n"unclosed\n', "not a readable CSV|at least"),
    ],
)
def test_unreadable_files_say_why(raw, message):
    with pytest.raises(ValueError, match=message):
        read_csv_bytes(raw)


def test_a_file_over_the_upload_limit_is_refused():
    # 4 + 4 · 1,250,001 = 5,000,008 bytes: 8 over the 5 MB (5,000,000 bytes), read as "5.0 MB",
    # so the message counts the bytes.
    with pytest.raises(ValueError, match=r"up to 5 MB .* Got the file, which is 5,000,008 bytes"):
        read_csv_bytes(b"x,y\n" + b"1,1\n" * ((MAX_BYTES // 4) + 1))


def test_the_size_is_checked_before_anything_reads_the_file():
    check_size(MAX_BYTES, "exactly.csv")  # the limit itself is fine
    with pytest.raises(ValueError) as refused:
        check_size(10_000_000, "big.csv")
    assert str(refused.value) == ("The lab reads CSV files up to 5 MB and trains on at most "
                                  "5,000 rows. Got big.csv, which is 10.0 MB.")
    assert megabytes(7_654_321) == "7.7 MB"  # as the uploader's chip: 1 MB = 1,000,000 bytes
    assert megabytes(10 * 1024 * 1024) == "10.5 MB"


def test_missing_column_lists_the_columns_there_are():
    with pytest.raises(
        ValueError, match=r"Column 'z' is not in the file; pick one of \['x', 'y'\]"
    ):
        prepare(read_csv_bytes(GOOD), ["z"], "y", "regression")


def test_non_numeric_column_names_an_example_value():
    raw = _csv([(i, "abc" if i == 3 else i) for i in range(20)])
    with pytest.raises(
        ValueError, match=r"Column 'y' must hold numbers only\. Got 1 values.*'abc'"
    ):
        prepare(read_csv_bytes(raw), ["x"], "y", "regression")


def test_nan_and_inf_rows_are_counted_and_can_be_dropped():
    rows = [(i, i) for i in range(20)] + [(1, "nan"), ("inf", 2), (3, "")]
    frame = read_csv_bytes(_csv(rows))
    with pytest.raises(ValueError, match=r"3 row\(s\) have missing .* Got 3 of 23 rows") as nan:
        prepare(frame, ["x"], "y", "regression")
    # It names the switch by the words the switch shows.
    assert f"turn on '{DROP_INVALID_LABEL}' in the sidebar" in str(nan.value)
    assert DROP_INVALID_LABEL == "Drop rows with missing or infinite values"
    data = prepare(frame, ["x"], "y", "regression", drop_invalid=True)
    assert data.n_dropped == 3 and data.x.shape == (20, 1)


def test_too_few_and_too_many_rows():
    few = _csv([(i, i) for i in range(MIN_ROWS - 1)])
    with pytest.raises(ValueError, match=f"at least {MIN_ROWS} usable rows. Got {MIN_ROWS - 1}"):
        prepare(read_csv_bytes(few), ["x"], "y", "regression")
    many = _csv([(i, i) for i in range(MAX_ROWS + 1)])
    with pytest.raises(ValueError, match=f"at most {MAX_ROWS:,} rows.*Got {MAX_ROWS + 1}"):
        prepare(read_csv_bytes(many), ["x"], "y", "regression")


def test_huge_numbers_are_refused_not_overflowed():
    raw = _csv([(i, 1e300 if i == 0 else i) for i in range(20)])
    with pytest.raises(ValueError, match="below 1e12"):
        prepare(read_csv_bytes(raw), ["x"], "y", "regression")


def test_classification_labels_become_indices_in_sorted_order():
    rows = [(i, -i, "cat" if i % 2 else "dog") for i in range(20)]
    data = prepare(
        read_csv_bytes(_csv(rows, "x1,x2,label")), ["x1", "x2"], "label", "classification"
    )
    assert data.class_names == ("cat", "dog")
    np.testing.assert_array_equal(data.y, [1, 0] * 10)


def test_a_single_class_is_refused():
    rows = [(i, -i, "a") for i in range(20)]
    with pytest.raises(ValueError, match=r"at least two classes.*Got only .a."):
        prepare(read_csv_bytes(_csv(rows, "x1,x2,label")), ["x1", "x2"], "label", "classification")


def test_the_digest_keys_on_content_not_on_the_object():
    a = prepare(read_csv_bytes(GOOD), ["x"], "y", "regression")
    b = prepare(read_csv_bytes(GOOD), ["x"], "y", "regression")
    other = prepare(read_csv_bytes(_csv([(i, 2 * i) for i in range(20)])), ["x"], "y", "regression")
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != other and a.digest != other.digest


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_either_parse_or_raise_value_error(raw):
    try:
        frame = read_csv_bytes(raw)
    except ValueError:
        return
    assert isinstance(frame, pd.DataFrame)
    columns = list(frame.columns)
    with contextlib.suppress(ValueError):
        prepare(frame, [columns[0]], columns[1], "regression", drop_invalid=True)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5)),
            st.one_of(
                st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.text(max_size=5)
            ),
        ),
        min_size=0,
        max_size=40,
    ),
    st.sampled_from(["utf-8", "utf-16", "latin-1"]),
)
def test_messy_tables_in_any_encoding_never_raise_anything_but_value_error(rows, encoding):
    text = "x,y\n" + "\n".join(f'"{a}",{b}' for a, b in rows)
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        return
    try:
        data = prepare(read_csv_bytes(raw), ["x"], "y", "regression", drop_invalid=True)
    except ValueError:
        return
    assert np.isfinite(data.x).all() and np.isfinite(data.y).all()
