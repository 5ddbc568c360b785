"""The results cache's keys: the same in every process, and new whenever the engine changes.

A key is a SHA-256 of the run function's name, the code version (a digest of the ``labcore``
sources) and the config's content — never Python's ``hash()``, which differs between
processes, so replicas of a class agree on it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "lab:v1:"
CODE_VERSION_ENV = "LAB_CODE_VERSION"


@cache
def code_version() -> str:
    """A digest of every ``labcore`` source file: results of other code never match.

    ``LAB_CODE_VERSION`` overrides it (e.g. a release tag in a container image).
    """
    override = os.environ.get(CODE_VERSION_ENV)
    if override:
        return override
    digest = hashlib.sha256()
    for path in sorted((ROOT / "labcore").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _feed(digest: Any, value: Any) -> None:
    """Feed a canonical encoding of ``value`` (configs, arrays, plain values) to ``digest``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(f"<{type(value).__module__}.{type(value).__qualname__}>".encode())
        for field in dataclasses.fields(value):
            digest.update(field.name.encode() + b"=")
            _feed(digest, getattr(value, field.name))
            digest.update(b";")
    elif isinstance(value, np.ndarray):
        digest.update(f"<array {value.dtype.str} {value.shape}>".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, tuple | list):
        digest.update(b"(")
        for item in value:
            _feed(digest, item)
            digest.update(b",")
        digest.update(b")")
    elif isinstance(value, bool | int | float | str | bytes) or value is None:
        digest.update(f"<{type(value).__name__}>{value!r}".encode())
    else:
        raise TypeError(f"No stable digest for a {type(value).__name__}. Got {value!r}.")


def result_key(fn_name: str, config: Any) -> str:
    """The key of ``fn_name(config)`` under this code version.

    Example:
        >>> import dataclasses
        >>> @dataclasses.dataclass(frozen=True)
        ... class C:
        ...     n: int = 3
        >>> result_key("f", C()) == result_key("f", C(n=3)) != result_key("f", C(n=4))
        True
    """
    digest = hashlib.sha256()
    _feed(digest, (fn_name, code_version()))
    _feed(digest, config)
    return PREFIX + digest.hexdigest()
