"""Shared set-up for the AppTest suites: a clean Streamlit cache for every test.

``st.cache_data`` and ``st.cache_resource`` live in the process, so without this a result
cached by one test (or one AppTest instance) would be a cache hit in the next.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # pages import labcore and labui from the repository root
    sys.path.insert(0, str(ROOT))
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the suites' helper modules (app_helpers, fake_experiment)
    sys.path.insert(0, str(HERE))


@pytest.fixture(autouse=True)
def clear_streamlit_caches() -> Iterator[None]:
    """Empty every ``st.cache_data`` and ``st.cache_resource`` cache before each test."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
