"""Streamlit helpers shared by the pages: settings widgets, URL state, presets, progress,
cached runs, downloads, presentation mode and error display.

A page reads like this::

    init_form_state(RegressionConfig, key="regression", presets=PRESETS)
    preset_picker(PRESETS, key="regression")
    with guard():
        config = config_form(RegressionConfig, key="regression", hidden=hidden_fields())
        sync_url(config)
        result = run_cached(run_regression, config)
    st.plotly_chart(plots.bands(result))
"""

from labui.downloads import download_csv, download_figure_html, download_pair, download_script
from labui.errors import guard, show_error
from labui.present import notice, presenting
from labui.presets import preset_picker
from labui.progress import progress_reporter
from labui.run import clear_caches, run_cached
from labui.state import hidden_fields, init_form_state, sync_url
from labui.widgets import config_form

__all__ = [
    "clear_caches",
    "config_form",
    "download_csv",
    "download_figure_html",
    "download_pair",
    "download_script",
    "guard",
    "hidden_fields",
    "init_form_state",
    "notice",
    "presenting",
    "preset_picker",
    "progress_reporter",
    "run_cached",
    "show_error",
    "sync_url",
]
