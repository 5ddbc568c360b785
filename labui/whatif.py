"""What if? A page's "A/B · seeds" view: two settings side by side, and the spread over seeds.

- **Pin as A** keeps the current settings as A (in the URL, ``?a=``, so a link shares the
  comparison); every later change of the sidebar's settings is B. A and B both come from the
  results cache, so changing B never retrains A. **Swap** exchanges them, **Clear A** ends the
  comparison; a lecture comparison (the ``comparisons`` of the lab's
  :class:`labcore.whatif.WhatIf`) sets both in one click.
- **Repeat over seeds** (``?repeat=N``, N from 2 to 20) trains the settings on N seeds and
  shows the headline numbers' spread, for A and B alike, with "B beats A on k of N seeds".
- In quiz mode (``?quiz=1``) with A pinned, students predict which of A and B does better
  before either is shown.

The lab's engine side is :mod:`labcore.whatif` and each lab's ``whatif.py``; this module only
draws what they compute.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import streamlit as st

from labcore.config import Config, echo
from labcore.experiments.lab import load
from labcore.script import whatif_script
from labcore.whatif import (
    MAX_SEEDS,
    RepeatRequest,
    RepeatResult,
    WhatIf,
    check_repeat,
    compare_rows,
    headline_spreads,
    run_repeat,
    seeds_of,
    spread_sentence,
    winner,
    wins_sentence,
)
from labui.errors import escape_markdown, guard
from labui.figures import show_figure
from labui.present import notice
from labui.run import run_cached
from labui.shell import lazy_expander
from labui.state import rerun_page
from labui.teacher import Quiz, predict_then_reveal
from labui.views import number

A_PARAM = "a"
REPEAT_PARAM = "repeat"
VIEW = "compare"
"""The view's key in the page's "View" picker (``?view=compare``)."""
LABEL = "A/B · seeds"
DEFAULTS = "default"
"""``?a=default``: A is the page's default settings."""
# Streamlit's own icon font, not the 📌 emoji: a projector's Linux browser without an emoji
# font drew that as an empty box (Debian's Chromium here did)
PIN_ICON = ":material/push_pin:"


def encode(config: Config) -> str:
    """A config as the text of ``?a=``: its non-default fields as a query string.

    >>> from labcore.experiments.home.config import MLEConfig
    >>> encode(MLEConfig(n_samples=50)), encode(MLEConfig())
    ('n_samples=50', 'default')
    """
    return urlencode(config.diff_strings()) or DEFAULTS


def decode(cls: type[Config], text: str) -> Config:
    """The config ``?a=`` describes (:func:`encode`'s inverse).

    Raises:
        ValueError: a field it names cannot be read or breaks its limits.
    """
    if text == DEFAULTS:
        return cls()
    pairs = dict(parse_qsl(text, keep_blank_values=True))
    unknown = sorted(set(pairs) - set(cls().to_dict()))
    if unknown:
        raise ValueError(f"A's settings must name fields of this page. Got {echo(unknown[0])}.")
    return cls.from_strings(pairs)


def _state(lab_key: str, name: str) -> str:
    return f"{lab_key}.whatif.{name}"


def pinned(cls: type[Config]) -> Config | None:
    """A's settings from the URL; a link whose A cannot be read is reported and ignored."""
    text = st.query_params.get(A_PARAM)
    if text is None:
        return None
    try:
        return decode(cls, text)
    except ValueError as exc:
        st.error(escape_markdown(f"Ignored the link's A settings (a). {exc}") +
                 " Pin the current settings as A instead.")
        return None


def _show_view(lab_key: str) -> None:
    st.session_state[f"{lab_key}.view"] = VIEW
    st.query_params["view"] = VIEW


def _pin(lab_key: str, config: Config) -> None:
    st.query_params[A_PARAM] = encode(config)
    _show_view(lab_key)
    rerun_page()  # the sidebar and the view picker follow


def _clear() -> None:
    if A_PARAM in st.query_params:
        del st.query_params[A_PARAM]
    rerun_page()


def _set_pair(lab_key: str, cls: type[Config], a: Config, b: Config) -> None:
    """Make ``b`` the form's settings and ``a`` the pinned A (a widget callback: runs before
    the form's widgets are made)."""
    from labui.state import write_form_values, write_url

    write_form_values(cls, lab_key, b)
    write_url(b)
    st.query_params[A_PARAM] = encode(a)
    _show_view(lab_key)
    rerun_page()  # the form shows b, and the page's own run is b's


def pin_button(lab_key: str, config: Config, *, container: Any = None) -> None:
    """The sidebar's "Pin as A" button (every page): keeps these settings as A and opens the
    A/B view."""
    where = container or st.sidebar
    where.button("Pin as A", icon=PIN_ICON, key=_state(lab_key, "pin_side"), on_click=_pin,
                 args=(lab_key, config), use_container_width=True,
                 help="Keep these settings as A, then change any setting: the A/B view shows "
                 "the new result (B) beside A.")


def _what_differs(a: Config, b: Config) -> str:
    specs = type(a).field_specs()
    sa, sb = a.to_strings(), b.to_strings()
    changed = [name for name in sa if sa[name] != sb[name]]
    if not changed:
        return "A and B have the same settings: change a setting in the sidebar to make B."
    def shown(name: str, config: Config, text: str) -> str:
        spec = specs.get(name)
        choices = spec.choices if spec is not None else None
        value = getattr(config, name)
        if choices and value in choices:
            return choices[value]
        if isinstance(value, bool):
            return "on" if value else "off"
        return echo(text, 40, quote=False)

    parts = []
    for name in changed[:6]:
        label = specs[name].label if name in specs else name
        parts.append(f"{label} (A: {shown(name, a, sa[name])}, B: {shown(name, b, sb[name])})")
    more = f" and {len(changed) - 6} more" if len(changed) > 6 else ""
    return "A and B differ in " + "; ".join(parts) + more + "."


def _repeat(page: Any, whatif: WhatIf, runner: Runner, config: Config, n: int, label: str
            ) -> RepeatResult:
    """``config`` over ``n`` seeds: one cached repeat of the lab's run; on a user's file, one
    cached run of the page's ``runner`` per seed."""
    if page.uploaded is not None:
        check_repeat(whatif, config, n)
        seeds = seeds_of(config, n)
        configs = [config.replace(seed=int(s)) for s in seeds]
        numbers = [whatif.headline(c, runner(c, f"{label}: seed {int(c.seed)}"))
                   for c in configs]
        return RepeatResult(seeds, headline_spreads(numbers, seeds))

    def run(request: RepeatRequest, progress: Callable) -> RepeatResult:
        return run_repeat(whatif, request, progress)

    run.__qualname__ = f"repeat_{page.key}"
    run.__module__ = __name__
    return run_cached(run, RepeatRequest(page.key, config, n), label=label)


def _quiz(lab_key: str, pair: str, numbers_a, numbers_b) -> Quiz | None:
    """"Which will have the better <first number with a rule>?", answered by the results.

    ``pair`` names the comparison (its A and B settings): a new pair asks again."""
    for na, nb in zip(numbers_a, numbers_b, strict=True):
        best = winner(na, nb)
        if best is None:
            continue
        word = {"lower": f"the lower {na.label}", "higher": f"the higher {na.label}",
                "target": f"the {na.label} closer to {na.text(na.target)}"}[na.better]
        return Quiz(key=_state(lab_key, f"quiz.{pair}.{na.key}"),
                    question=f"Which will have {word}: A or B?",
                    options=("A", "B"), correct=best,
                    explanation=f"{best} does: A has {na.text()}, B has {nb.text()}.")
    return None


Runner = Callable[[Config, str], Any]
"""``runner(config, label)``: the page's cached run of ``config`` (``label`` names it on the
progress bar: "A", "B over 5 seeds")."""


def compare_view(page: Any, runner: Runner | None = None) -> None:
    """The "A/B · seeds" view of ``page`` (a :class:`labui.page.LabPage`).

    Args:
        page: the page context; ``page.config`` is B (the sidebar's settings).
        runner: the page's cached run of a config where it is not the lab's own (a user's
            uploaded data); by default ``run_cached(whatif.run, whatif.trained(config))``, the
            key of the page's own main run, so B is never trained twice.
    """
    lab, config = page.lab, page.config
    cls = type(config)
    whatif: WhatIf = lab.whatif()
    if runner is None:
        def runner(cfg: Config, label: str) -> Any:
            return run_cached(whatif.run, whatif.trained(cfg), label=label)
    a = pinned(cls)
    b1, b2, b3, b4 = st.columns([1, 1, 1.3, 1.3], vertical_alignment="bottom")
    if a is None:
        b1.button("Pin as A", icon=PIN_ICON, key=_state(lab.key, "pin"), on_click=_pin,
                  args=(lab.key, config), type="primary",
                  help="Keep these settings as A; then change any setting in the sidebar.")
    else:
        b1.button("⇄ Swap A and B", key=_state(lab.key, "swap"), on_click=_set_pair,
                  args=(lab.key, cls, config, a),
                  help="A becomes the sidebar's settings and the sidebar's become A.")
        b2.button("✕ Clear A", key=_state(lab.key, "clear"), on_click=_clear,
                  help="End the comparison (the sidebar's settings stay).")
    if whatif.comparisons and page.uploaded is None:
        with b3.popover("Lecture comparisons", use_container_width=True):
            for i, (name, pair) in enumerate(whatif.comparisons.items()):
                st.button(name, key=_state(lab.key, f"pair{i}"), on_click=_set_pair,
                          args=(lab.key, cls, *pair), use_container_width=True)
    seeds = number(f"Repeat over seeds (up to {MAX_SEEDS})",
                   key=_state(lab.key, "repeat"), param=REPEAT_PARAM, default=1, min_value=1,
                   max_value=MAX_SEEDS, step=1, kind="number_input", container=b4,
                   help="1 shows this seed only. More trains the same settings with seeds s, "
                   "s+1, … and shows how much the headline numbers move by luck alone.")

    with guard():
        result_b = runner(config, "B" if a is not None else "")
        numbers_b = whatif.headline(config, result_b)
        result_a = numbers_a = None
        if a is not None:
            result_a = runner(a, "A")
            numbers_a = whatif.headline(a, result_a)

    if a is None:
        st.info("Pin the current settings as A, then change any setting in the sidebar: the "
                "new result appears as B next to A, with its numbers compared.")
        _numbers_table(numbers_b)
    else:
        st.caption(escape_markdown(_what_differs(a, config)))
        pair = hashlib.sha256(f"{encode(a)}|{encode(config)}".encode()).hexdigest()[:10]
        quiz = _quiz(lab.key, pair, numbers_a, numbers_b)
        if quiz is not None and not predict_then_reveal(quiz):
            return
        with guard():
            figure = load(whatif.figure)(a, result_a, config, result_b)
        show_figure(figure, key=page.state_key("ab_fig"), filename=f"{lab.key}_ab.html")
        if whatif.caption:
            notice(whatif.caption)
        rows = compare_rows(numbers_a, numbers_b)
        st.dataframe(_frame(rows).drop(columns=["in words"]), hide_index=True)
        st.markdown("\n".join(f"- {escape_markdown(r['in words'])}" for r in rows))
    if seeds > 1:
        _spread(page, whatif, runner, a, config, seeds)
    _script_button(page, a, seeds)


def _numbers_table(numbers) -> None:
    st.dataframe(_frame([{"number": n.label, "value": n.text(), "better": n.rule}
                         for n in numbers]), hide_index=True)


def _frame(rows: list[dict[str, Any]]) -> Any:
    """``rows`` as a pandas DataFrame; pandas is imported here, where a comparison is shown,
    not with the page (Home's first run does without it)."""
    import pandas as pd

    return pd.DataFrame(rows)


def _spread(page: Any, whatif: WhatIf, runner: Runner, a: Config | None, b: Config, n: int
            ) -> None:
    """The headline numbers over ``n`` seeds (both A and B when A is pinned), and what the
    spread says."""
    from labcore.plots.spread import spread_figure

    st.subheader(f"Over {n} seeds")
    with guard():
        rep_b = _repeat(page, whatif, runner, b, n, f"B over {n} seeds" if a else f"{n} seeds")
        rep_a = (_repeat(page, whatif, runner, a, n, f"A over {n} seeds") if a is not None
                 else None)
    fig = spread_figure(rep_a.spreads if rep_a else rep_b.spreads,
                        rep_b.spreads if rep_a else None)
    show_figure(fig, key=page.state_key("spread_fig"), filename=f"{page.key}_seeds.html")
    lines = []
    if rep_a is not None:
        lines += [wins_sentence(sa, sb) for sa, sb in zip(rep_a.spreads, rep_b.spreads,
                                                          strict=True)]
        lines += [f"A: {spread_sentence(s)}" for s in rep_a.spreads[:1]]
        lines += [f"B: {spread_sentence(s)}" for s in rep_b.spreads[:1]]
    else:
        lines += [spread_sentence(s) for s in rep_b.spreads]
    notice(escape_markdown(lines[0]))
    if len(lines) > 1:
        st.markdown("\n".join(f"- {escape_markdown(line)}" for line in lines[1:]))


def _script_button(page: Any, a: Config | None, seeds: int) -> None:
    what = ("A and B" if a is not None else "these settings") + (
        f" over {seeds} seeds" if seeds > 1 else "")
    st.download_button(
        f"⬇ Python script ({what})", data=lambda: whatif_script(page.key, page.config, a, seeds),
        file_name=f"{page.key}_whatif.py", mime="text/x-python",
        key=page.state_key("whatif_script"), on_click="ignore",
        help="A short script that trains what this view shows with labcore and prints the "
        "headline numbers.")


def whatif_section(page: Any) -> None:
    """The A/B view on a page without a "View" picker (Home): under its own heading when the
    link asks for it (``?a=``, ``?repeat=`` or ``?view=compare``), else behind an expander."""
    asked = (A_PARAM in st.query_params or REPEAT_PARAM in st.query_params
             or st.query_params.get("view") == VIEW)
    if asked:
        st.subheader("What if? A/B · seeds")
        compare_view(page, page.runner)
    else:
        lazy_expander("What if? Compare two settings (A/B), or repeat over seeds",
                      lambda: compare_view(page, page.runner), key=page.state_key("whatif"))
