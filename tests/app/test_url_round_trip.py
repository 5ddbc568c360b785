"""Every widget on every page survives a copied link: set it, open the URL in a fresh session,
and the same value is back.

Settings (config fields) are changed all at once in the sidebar — one retrain per page — to a
value their spec allows that differs from the current one; view controls (tabs, pills, the
temperature, the sample index, θ) are changed on the view that shows them. A fresh
``AppTest`` with the first session's query parameters is a new browser session opening the
link.
"""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

import pytest
from app_helpers import open_app
from streamlit.testing.v1 import AppTest

from labcore.config import Config
from labcore.experiments.calibration.config import CalibrationConfig
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.home.config import MLEConfig
from labcore.experiments.ood.config import OODLabConfig
from labcore.experiments.regression.config import RegressionConfig

WIDGETS = ("selectbox", "slider", "select_slider", "toggle", "number_input", "radio",
           "multiselect", "segmented_control", "pills")
# The sizes that make training slow start at their smallest allowed value (a cheap link).
SIZES = ("steps", "hidden", "n_layers", "members", "mc_samples", "n_points", "n_views",
         "train_copies", "n_fooling")


def cheap(cls: type[Config]) -> dict[str, str]:
    """Query parameters that set every size field of ``cls`` to its spec's minimum."""
    specs = cls.field_specs()
    return {name: f"{specs[name].min:g}" for name in SIZES if name in specs}


def open_link(page: str | None, query: dict[str, str]) -> AppTest:
    return open_app(page, query)


def keyed_widgets(at: AppTest, prefix: str) -> dict[str, Any]:
    """Widget key → widget, for the page's own widgets (teacher link and quizzes left out)."""
    found = {}
    for kind in WIDGETS:
        for w in getattr(at, kind):
            key = getattr(w, "key", None)
            if key and key.startswith(f"{prefix}.") and ".teacher." not in key \
                    and ".quiz." not in key:
                found[key] = w
    return found


def values(at: AppTest, prefix: str) -> dict[str, Any]:
    return {key: w.value for key, w in keyed_widgets(at, prefix).items()}


def other_value(cls: type[Config], name: str, current: Any) -> Any:
    """A value of field ``name`` that its spec allows and that differs from ``current``."""
    tp = cls.field_type(name)
    spec = cls.field_specs()[name]
    if get_origin(tp) is Literal:
        return next(v for v in get_args(tp) if v != current)
    if tp is bool:
        return not current
    low = spec.min
    step = spec.step or (1 if tp is int else (spec.max - spec.min) / 10)
    target = low if current != low else low + step
    return int(target) if tp is int else float(target)


def change_settings(at: AppTest, cls: type[Config], prefix: str) -> None:
    """Set every visible settings widget to another allowed value, then rerun once."""
    widgets = keyed_widgets(at, prefix)
    for name in (f.name for f in cls.__dataclass_fields__.values()):
        w = widgets.get(f"{prefix}.{name}")
        if w is None or name == "seed":
            continue
        value = other_value(cls, name, w.value)
        if w.type == "select_slider" and value not in w.options:
            continue  # a log-scale value off its 1-2-5 grid cannot be picked in the widget
        w.set_value(value)
    at.run()


PAGES = {
    # page path, widget prefix, config class, extra query for a cheap, valid start
    "home": (None, "home", MLEConfig, {}),
    "regression": ("pages/regression.py", "regression", RegressionConfig,
                   {"method": "ensemble"}),
    "classification": ("pages/classification.py", "classification", ClassificationConfig,
                       {"method": "ensemble"}),
    "calibration": ("pages/calibration.py", "calibration", CalibrationConfig, {}),
    "ood": ("pages/ood.py", "ood", OODLabConfig, {"view": "toy"}),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_every_setting_comes_back_from_the_link(name: str) -> None:
    page, prefix, cls, start = PAGES[name]
    query = cheap(cls) | start
    at = open_link(page, query)
    assert not at.exception and not at.error, [e.value for e in at.error]
    before = values(at, prefix)
    change_settings(at, cls, prefix)
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = values(at, prefix)
    changed = {k for k in before if k in after and before[k] != after[k]}
    assert len(changed) >= 3, (before, after)  # the test really moved settings
    again = open_link(page, dict(at.query_params))
    assert not again.exception and not again.error
    assert values(again, prefix) == after


VIEW_CHANGES = {
    # page, query that opens the view, {widget key: new value}
    "regression bands": ("pages/regression.py", cheap(RegressionConfig) | {"view": "bands"},
                         {"regression.bands": ["total", "conformal"]}),
    "regression calibration": ("pages/regression.py", cheap(RegressionConfig),
                               {"regression.view": "calibration"}),
    # What the bands chart does (look, add, remove) and, while it adds, how many points a drag
    # adds: both in the link (chart=, drag_n=).
    "regression chart mode": ("pages/regression.py", cheap(RegressionConfig),
                              {"regression.chart_mode": "add", "regression.drag_n": 35}),
    "regression remove mode": ("pages/regression.py", cheap(RegressionConfig),
                               {"regression.chart_mode": "remove"}),
    "calibration temperature": ("pages/calibration.py",
                                cheap(CalibrationConfig) | {"view": "temperature"},
                                {"calibration.model": "smoothed",
                                 "calibration.temperature": 1.7}),
    "calibration many ECEs": ("pages/calibration.py",
                              cheap(CalibrationConfig) | {"view": "many_eces"},
                              {"calibration.variants_scaled": True}),
    "calibration sweeps": ("pages/calibration.py", cheap(CalibrationConfig) | {"view": "sweeps"},
                           {"calibration.sweep": "hidden"}),
    "classification flipped score": ("pages/classification.py",
                                     cheap(ClassificationConfig) | {"view": "flipped"},
                                     {"classification.flip_score": "confidence"}),
    "classification inspector": ("pages/classification.py",
                                 cheap(ClassificationConfig) | {"view": "inspector"},
                                 {"classification.split": "train",
                                  "classification.sample.train": 7}),
    "ood shift": ("pages/ood.py", cheap(OODLabConfig) | {"view": "shift"},
                  {"ood.corruption": "gaussian_noise"}),
    "ood toy": ("pages/ood.py", cheap(OODLabConfig) | {"view": "toy"},
                {"ood.toy_left": "plain_energy", "ood.toy_right": "mc_mi"}),
    "home theta": (None, {}, {"home.theta": 2.5}),
}


@pytest.mark.parametrize("name", list(VIEW_CHANGES))
def test_every_view_control_comes_back_from_the_link(name: str) -> None:
    page, query, changes = VIEW_CHANGES[name]
    prefix = next(iter(changes)).split(".")[0]
    at = open_link(page, query)
    assert not at.exception and not at.error, [e.value for e in at.error]
    for key, value in changes.items():
        keyed_widgets(at, prefix)[key].set_value(value).run()
        assert not at.exception and not at.error, [e.value for e in at.error]
    shown = values(at, prefix)
    for key, value in changes.items():
        assert shown[key] == value
    again = open_link(page, dict(at.query_params))
    assert not again.exception and not again.error
    assert values(again, prefix) == shown
