"""A user's own CSV file: read it, pick columns, and say exactly what is wrong when it is bad.

Every failure is a :class:`~labcore.errors.FileError` (a ``ValueError``) whose message says what
to change ("… Got X."). The parsed data carry a content digest, so cached results are keyed on
the data itself and one session's upload never answers another session's question.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from labcore.config import echo
from labcore.errors import FileError

if TYPE_CHECKING:  # imported where a file is read: a page that only asks whether one is
    import pandas as pd  # in use (labui.teacher) does without it

MAX_MB = 5
MAX_BYTES = MAX_MB * 1_000_000
"""Largest file the lab reads (5 MB, counted as the uploader's file chip counts: 1 MB = 10⁶
bytes). Streamlit's own ``server.maxUploadSize``
(.streamlit/config.toml) is larger, so a larger file still reaches the page, which says how
large it is (:func:`check_size`) instead of the browser's silent red file chip."""
MIN_ROWS = 10
MAX_ROWS = 5000
"""Most rows used for training: more would let one upload occupy the server for minutes."""
MAX_COLUMNS = 100
"""Most columns a file may have (the lab uses two or three of them): a wider file is refused
from its header, before the rest is parsed."""
MAX_CLASSES = 10
DROP_INVALID_LABEL = "Drop rows with missing or infinite values"
"""The switch that drops rows with NaN or infinite values (:func:`prepare`'s
``drop_invalid``): the upload's toggle and the message that asks for it use these words."""

Task = Literal["regression", "classification"]


@dataclasses.dataclass(frozen=True, eq=False)
class UserData:
    """Validated numeric data from a CSV.

    Equality and hash use ``digest`` (SHA-256 of the arrays and column names), so a config
    holding a ``UserData`` is a cache key for exactly this content.

    Attributes:
        x: (n, d) float inputs.
        y: (n,) float targets (regression) or int class indices 0..K−1 (classification).
        columns: the input column names, then the target column name.
        class_names: the original label of each class index (classification), else ().
        n_dropped: rows removed because they held NaN or infinite values.
        digest: hex SHA-256 of the content.
    """

    x: np.ndarray
    y: np.ndarray
    columns: tuple[str, ...]
    class_names: tuple[str, ...]
    n_dropped: int
    digest: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UserData) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def __reduce__(self):  # Streamlit hashes cache keys by pickling: use the digest only
        return (
            _from_state,
            (self.x, self.y, self.columns, self.class_names, self.n_dropped, self.digest),
        )


def _from_state(x, y, columns, class_names, n_dropped, digest) -> UserData:
    return UserData(x, y, columns, class_names, n_dropped, digest)


def megabytes(n_bytes: int) -> str:
    """A file size as the uploader's file chip shows it: ``"10.5 MB"`` (1 MB = 10⁶ bytes).

    Example:
        >>> megabytes(10_000_000), megabytes(10 * 1024 * 1024)
        ('10.0 MB', '10.5 MB')
    """
    return f"{n_bytes / 1_000_000:.1f} MB"


def _file_name(name: str) -> str:
    """A file's name as a message shows it (a long one cut, see :func:`~labcore.config.echo`)."""
    return echo(name, 80, quote=False)


def check_size(n_bytes: int, name: str = "the file") -> None:
    """Refuse a file over :data:`MAX_BYTES` before anything reads it.

    Raises:
        FileError: the file is larger than the limit (the message gives both sizes).

    Example:
        >>> try:
        ...     check_size(10_000_000, "big.csv")
        ... except ValueError as exc:
        ...     print(exc)  # doctest: +NORMALIZE_WHITESPACE
        The lab reads CSV files up to 5 MB and trains on at most 5,000 rows. Got big.csv,
        which is 10.0 MB.
    """
    if n_bytes > MAX_BYTES:
        name = _file_name(name)
        size = megabytes(n_bytes)
        # Just over the limit reads "5.0 MB": then the bytes say by how much.
        got = size if size != f"{MAX_MB}.0 MB" else f"{n_bytes:,} bytes"
        raise FileError(
            f"The lab reads CSV files up to {MAX_MB} MB and trains on at most {MAX_ROWS:,} rows. "
            f"Got {name}, which is {got}."
        )


def names(values: Sequence[object], limit: int = 5) -> str:
    """Column names or labels as a message lists them: each cut by :func:`~labcore.config.echo`,
    at most ``limit`` of them, then how many more.

    Example:
        >>> names(["x", "y"]), names([str(i) for i in range(8)], limit=2)
        ("['x', 'y']", "['0', '1', … and 6 more]")
    """
    shown = [echo(str(v)) for v in list(values)[:limit]]
    more = len(values) - limit
    return f"[{', '.join(shown)}{f', … and {more:,} more' if more > 0 else ''}]"


def read_csv_bytes(raw: bytes, name: str = "the file") -> pd.DataFrame:
    """Parse CSV bytes into a table of strings and numbers.

    Every row must have as many values as the header (a trailing separator on every line is
    allowed); at most :data:`MAX_COLUMNS` columns, counted in the header before the file is
    parsed.

    Raises:
        FileError: empty, too large, too wide, not text, or not a table with a header and
            rows.
    """
    import pandas as pd

    check_size(len(raw), name)
    name = _file_name(name)
    if len(raw) == 0:
        raise FileError(
            f"The file is empty: upload a CSV with a header row. Got {name} (0 bytes)."
        )
    text = _decode(raw, name)
    header = next((line for line in text.splitlines() if line.strip()), "")
    sep = max((",", ";", "\t"), key=header.count)  # ties (no separator at all) go to ","
    _check_width(_header_width(header, sep), name)
    try:
        with warnings.catch_warnings():
            # A row longer than the header: pandas would drop its extra values with a warning.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=sep, index_col=False)
    except pd.errors.ParserWarning:
        raise FileError(
            "Every row must have as many values as the header has columns. Got a row with "
            f"more values than the header of {name}."
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv_error(), UnicodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FileError(
            f"The file is not a readable CSV table ({echo(first, 120, quote=False)}). "
            f"Got {name}."
        ) from None
    _check_width(frame.shape[1], name)
    if frame.shape[1] < 2:
        raise FileError(
            "The file needs at least two columns separated by commas (for example x,y). "
            f"Got {frame.shape[1]} column: {names(frame.columns)}."
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _header_width(header: str, sep: str) -> int:
    """How many columns the header line names (quotes respected where the csv module can)."""
    try:
        return len(next(csv.reader([header], delimiter=sep), []))
    except csv.Error:  # e.g. a name longer than the csv module's field limit
        return header.count(sep) + 1


def _check_width(n_columns: int, name: str) -> None:
    if n_columns > MAX_COLUMNS:
        raise FileError(
            f"The lab reads CSV files with at most {MAX_COLUMNS:,} columns: keep the columns "
            f"to train on. Got {name}, with {n_columns:,} columns."
        )


def csv_error() -> type[Exception]:
    """The csv module's error class (pandas' python engine raises it for bad quoting)."""
    return csv.Error


def _decode(raw: bytes, name: str) -> str:
    for encoding in (
        ("utf-8-sig", "utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",)
    ):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileError(
            f"The file must be text encoded as UTF-8 (save it as 'CSV UTF-8'). Got {name}, "
            "which contains bytes that are not UTF-8."
        )
    if "\x00" in text:
        raise FileError(f"The file must be a text CSV, not a binary file. Got {name}.")
    return text


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        example = str(frame[column][bad].iloc[0])
        raise FileError(
            f"Column {echo(column)} must hold numbers only. Got {int(bad.sum())} values that "
            f"are not numbers, for example {echo(example)}."
        )
    return values.to_numpy(dtype=float)


def prepare(
    frame: pd.DataFrame,
    inputs: list[str],
    target: str,
    task: Task,
    drop_invalid: bool = False,
) -> UserData:
    """Pick the input and target columns and check them for training.

    Args:
        frame: from :func:`read_csv_bytes`.
        inputs: input column names (one for 1-D regression, two for the 2-D classifier).
        target: the target column (y, or the class label).
        task: "regression" (numeric y) or "classification" (labels, 2 to 10 classes).
        drop_invalid: drop rows with NaN/inf instead of refusing them.

    Raises:
        FileError: a column is missing or not numeric, NaN/inf rows (unless dropped), too few
            or too many rows, fewer than two classes or more than ten.
    """
    missing = [c for c in [*inputs, target] if c not in frame.columns]
    if missing:
        raise FileError(
            f"Column {echo(missing[0])} is not in the file; pick one of "
            f"{names(frame.columns)}. Got {names(missing)}."
        )
    if len(set([*inputs, target])) != len(inputs) + 1:
        raise FileError(
            f"Pick different columns for inputs and target. Got {names([*inputs, target])}."
        )
    x = np.stack([_numeric(frame, c) for c in inputs], axis=1)
    if task == "regression":
        y_raw = _numeric(frame, target)
        label_ok = np.isfinite(y_raw)
    else:
        y_raw = frame[target].astype("string").str.strip()
        label_ok = y_raw.notna().to_numpy() & (y_raw.fillna("") != "").to_numpy()
    ok = np.isfinite(x).all(axis=1) & label_ok
    n_bad = int((~ok).sum())
    if n_bad and not drop_invalid:
        raise FileError(
            f"{n_bad} row(s) have missing (NaN) or infinite values; turn on "
            f"'{DROP_INVALID_LABEL}' in the sidebar to train without them. Got {n_bad} of "
            f"{len(frame)} rows."
        )
    x = x[ok]
    n = x.shape[0]
    if n < MIN_ROWS:
        raise FileError(f"The data need at least {MIN_ROWS} usable rows. Got {n}.")
    if n > MAX_ROWS:
        raise FileError(
            f"The data may have at most {MAX_ROWS:,} rows (a cap that keeps the server fast for "
            f"everyone); keep a sample of the rows. Got {n}."
        )
    if np.abs(x).max() > 1e12:
        raise FileError(f"Input values must be below 1e12 in size. Got {np.abs(x).max():.3g}.")
    class_names: tuple[str, ...] = ()
    if task == "regression":
        y = np.asarray(y_raw[ok], dtype=float)
        if np.abs(y).max() > 1e12:
            raise FileError(
                f"Target values must be below 1e12 in size. Got {np.abs(y).max():.3g}."
            )
        if np.ptp(y) == 0:
            raise FileError(
                f"The target column {echo(target)} must vary. Got the constant {y[0]:g}."
            )
    else:
        labels = y_raw[ok].to_numpy(dtype=str)
        classes, y = np.unique(labels, return_inverse=True)
        if classes.size < 2:
            raise FileError(
                f"Classification needs at least two classes in {echo(target)}. "
                f"Got only {echo(str(classes[0]))}."
            )
        if classes.size > MAX_CLASSES:
            raise FileError(
                f"The label column {echo(target)} may hold at most {MAX_CLASSES} classes. "
                f"Got {classes.size}."
            )
        class_names = tuple(str(s) for s in classes)
        y = y.astype(np.int64)
    columns = (*inputs, target)
    digest = hashlib.sha256()
    for part in (
        x.astype(np.float64).tobytes(),
        np.asarray(y).tobytes(),
        "\x1f".join(columns + class_names).encode(),
        task.encode(),
    ):
        digest.update(part)
    return UserData(
        x=x,
        y=y,
        columns=columns,
        class_names=class_names,
        n_dropped=n_bad,
        digest=digest.hexdigest(),
    )
