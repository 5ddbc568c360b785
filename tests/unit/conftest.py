"""Unit tests' set-up: this folder on ``sys.path`` for the suites' helper modules
(``redis_server``)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
