"""Every lab page has one shape: settings → one cached run → the chosen view.

A page builds its :class:`LabPage` (the lab, the config the form gives, the main result, the
user's data) with :func:`settings` and :func:`run_cached`, then hands it to :func:`show_view`,
which draws the "View" picker and calls the view's function. A view is a plain function of the
page context: it reads ``page.config``, ``page.result``… and never a module global, so each
view can be read, and tested, on its own.

Example (the shape of ``pages/calibration.py``)::

    LAB = calibration.LAB
    page_header("Calibration: …", "Two networks learn the same classes …")
    config = settings(LAB, CalibrationConfig, picker=True)
    with guard():
        page = LabPage(LAB, config, run_cached(run_calibration, training_config(config)))
    page_sidebar(page)
    show_view(page, {"four": ("Four models", four_models), …})
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import streamlit as st

from labcore.config import Config
from labcore.experiments.lab import Lab
from labui.downloads import download_script
from labui.errors import guard
from labui.presets import preset_picker
from labui.shell import page_setup
from labui.state import hidden_fields, init_form_state, sync_url
from labui.teacher import teacher_link, teacher_link_open
from labui.views import choice
from labui.whatif import LABEL as WHATIF_LABEL
from labui.whatif import VIEW as WHATIF_VIEW
from labui.whatif import compare_view, pin_button
from labui.widgets import config_form


@dataclasses.dataclass
class LabPage:
    """What every view of a lab page reads.

    Attributes:
        lab: the lab's descriptor (its key prefixes every widget and session key).
        config: the settings the form gives.
        result: the page's main run, or None where each view runs its own.
        uploaded: the user's data where the page takes a file, else None.
        runner: ``runner(config, label)``, the page's cached run of other settings where it
            is not the lab's own (on a user's file); the "A/B · seeds" view trains A and the
            seeds with it (:mod:`labui.whatif`).
    """

    lab: Lab
    config: Any
    result: Any = None
    uploaded: Any = None
    runner: Callable[[Any, str], Any] | None = None

    @property
    def key(self) -> str:
        """The lab's key: ``"regression"``, ``"calibration"`` …"""
        return self.lab.key

    def state_key(self, name: str) -> str:
        """A session-state or widget key of this page: ``"<lab>.<name>"``."""
        return f"{self.lab.key}.{name}"


View = Callable[[LabPage], None]
"""A view: draws one part of a page from its context."""


def page_header(title: str, caption: str = "") -> Any:
    """Set the page up and draw its title; returns the slot of the caption under it (a page
    whose caption depends on its data fills the slot later)."""
    page_setup()
    st.title(title)
    slot = st.empty()
    if caption:
        slot.caption(caption)
    return slot


def start_settings(lab: Lab, cls: type[Config] | None = None, *, picker: bool = False) -> None:
    """Load the form's settings from the URL or a preset (and draw the preset picker): what
    :func:`settings` does first, for a page that reads the settings before its form (the
    data-source picker of a page that takes a file)."""
    cls = cls or lab.config_class()
    presets = lab.preset_configs()
    init_form_state(cls, key=lab.key, presets=presets or None)
    if picker:
        preset_picker(presets, key=lab.key)


def settings(lab: Lab, cls: type[Config] | None = None, *, picker: bool = False,
             hidden: Collection[str] = (), rules: type[Config] | None = None,
             container: Any = None, started: bool = False) -> Any:
    """The sidebar form of ``lab`` (its config class, or ``cls``), its URL and presets.

    Args:
        lab: the lab; its presets start the form and, with ``picker``, fill the "Preset" box.
        cls: the form's config class where it is wider than the script's (the OOD page's).
        picker: draw the preset picker above the form.
        hidden: fields not to show, besides those the link hides (``?hide=``).
        rules: the config class whose rules (inactive fields) the form follows, if not ``cls``.
        container: where the form goes (the sidebar by default).
        started: :func:`start_settings` has already run on this page.

    Returns:
        The validated config; on a setting the user must change the page says so and stops.
    """
    cls = cls or lab.config_class()
    if not started:
        start_settings(lab, cls, picker=picker)
    with guard():
        config = config_form(cls, key=lab.key, hidden=hidden_fields() | set(hidden),
                             rules=rules, container=container)
        sync_url(config)
    return config


def page_sidebar(page: LabPage, *, script: Config | None = None,
                 extra: Callable[[], tuple[Sequence[str], Sequence[str]]] | None = None) -> None:
    """The teacher's link and (for generated data) the script download, in the sidebar.

    ``script`` is the config the script runs where it is not the form's (the Classification
    page's training config, its thresholds at their defaults); ``extra`` adds what the page
    shows beyond the headline (see :func:`labui.downloads.download_script`)."""
    teacher_link(page.config, key=page.key)
    pin_button(page.key, page.config)
    if page.uploaded is None:
        with st.sidebar:
            download_script(page.key, script or page.config, extra=extra)


def show_view(page: LabPage, views: Mapping[str, tuple[str, View]], *,
              default: str | None = None, whole_page: Collection[str] = ()) -> str:
    """The "View" picker (kept in ``?view=``) and the chosen view, drawn (:func:`draw_view`);
    returns its key.

    Every page's views end with "A/B · seeds" (:func:`labui.whatif.compare_view`).
    ``whole_page`` names views to draw without a fragment on this run."""
    views = with_compare(views)
    view = choose_view(page, {name: label for name, (label, _) in views.items()},
                       default=default)
    draw_view(page, views[view][1], fragment=view not in whole_page)
    return view


def draw_view(page: LabPage, view: View, *, fragment: bool = True) -> None:
    """Draw ``view(page)`` as a fragment: a control of the view (a temperature, the X-ray's x,
    the bands to show, a sample's index) then reruns the view alone, not the settings form,
    the cached run's lookup and the sidebar around it, so the chart answers sooner and a
    classroom's server does less.

    A view's control that changes the page's settings or its A ends its callback with
    :func:`labui.state.rerun_page`. The whole page runs instead of a fragment

    - while the teacher link is open: its link is built from the URL on a run of the whole
      page, before the view, so a view that changed the URL runs the page once more for the
      link to carry the change;
    - where ``fragment`` is False: a live training's Stop button must interrupt the run, and a
      fragment's button does not interrupt a run in progress (Streamlit queues it).
    """
    if not teacher_link_open(page.key):
        (st.fragment(view) if fragment else view)(page)
        return
    url = st.query_params.to_dict()
    view(page)
    if st.query_params.to_dict() != url:
        st.rerun()  # the link, drawn above the view, was built from the URL before the change


def with_compare(views: Mapping[str, tuple[str, View]]) -> dict[str, tuple[str, View]]:
    """``views`` and, last, the "A/B · seeds" view (:mod:`labui.whatif`)."""
    return {**views, WHATIF_VIEW: (WHATIF_LABEL, lambda page: compare_view(page, page.runner))}


def choose_view(page: LabPage | Lab, labels: Mapping[str, str], *,
                default: str | None = None) -> str:
    """Just the "View" picker: for a page that needs the view before its settings (OOD)."""
    return choice("View", list(labels), key=f"{page.key}.view", param="view",
                  format_func=labels.get, default=default)
