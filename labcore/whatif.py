"""What if? Two settings side by side (A/B), and a page's numbers over N seeds.

Every lab package has a ``whatif.py`` with one :class:`WhatIf`: which run a comparison trains,
the page's headline numbers of a result (:class:`Number`), what one run costs, and the
lecture's comparisons as (A, B) pairs. This module turns those into what the page says:

- :func:`compare_rows` — A, B and B − A for every headline number, and a sentence each
  (:func:`difference_sentence`: "B's ECE is 0.030 lower than A's: B is better.");
- :func:`run_repeat` — one config over N seeds (``seed``, ``seed + 1`` …), the headline
  numbers of each, with the budget check covering the whole repeat;
- :func:`spread_sentence` and :func:`wins_sentence` — what the spread says ("coverage
  0.85–0.94 over 20 seeds"; "B has the lower ECE on 18 of 20 seeds").

Numbers only: the page draws them (:mod:`labcore.plots.whatif`).
"""

from __future__ import annotations

import dataclasses
import math
import textwrap  # noqa: F401  (the doctests wrap long sentences)
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

from labcore.budget import SECONDS_LIMIT, check_training_time, computation_seconds
from labcore.config import Config
from labcore.errors import SettingError

Better = Literal["lower", "higher", "target"]

MAX_SEEDS = 20
"""The most seeds one repeat trains."""


@dataclasses.dataclass(frozen=True)
class Number:
    """One headline number of a result.

    Attributes:
        key: a short name, the same for every result of the lab ("ece").
        label: what a newcomer reads ("ECE of the plain network").
        value: the number.
        better: which way is better — "lower", "higher", or "target" (closer to ``target``
            is better, e.g. a 95 % interval's coverage); None where neither is.
        digits: decimals shown.
        unit: appended to the value where it has one (" nats").
        target: the value aimed at (``better == "target"``; else None).
    """

    key: str
    label: str
    value: float
    better: Better | None = None
    digits: int = 3
    unit: str = ""
    target: float | None = None

    def __post_init__(self) -> None:
        if (self.better == "target") != (self.target is not None):
            raise ValueError(f"A number has a target exactly when better is 'target'. "
                             f"Got better={self.better!r}, target={self.target!r}.")

    def text(self, value: float | None = None) -> str:
        """``value`` (default: this number's) with the number's decimals and unit."""
        v = self.value if value is None else value
        if not math.isfinite(v):
            return "∞" if v > 0 else ("−∞" if v < 0 else "not defined")
        return f"{v:.{self.digits}f}{self.unit}"

    def same(self, a: float, b: float) -> bool:
        """Whether two values look the same at this number's decimals."""
        if not (math.isfinite(a) and math.isfinite(b)):
            return a == b
        return abs(b - a) < 0.5 * 10.0 ** -self.digits

    def goodness(self, value: float) -> float:
        """Higher is better: ``value``, ``−value`` or ``−|value − target|``."""
        if self.better == "higher":
            return value
        if self.better == "lower":
            return -value
        if self.better == "target":
            return -abs(value - float(self.target))
        raise ValueError(f"Number {self.key!r} has no better direction. Got None.")

    @property
    def rule(self) -> str:
        """Which way is better, in words ("lower is better")."""
        if self.better == "target":
            return f"closer to {self.text(self.target)} is better"
        return f"{self.better} is better" if self.better else "neither way is better"


def _verdict(number: Number, a: float, b: float) -> str | None:
    """``"A"``, ``"B"``, or None where either value is not defined, they look the same (or
    are as far from the target), or neither way is better."""
    if number.better is None or not (math.isfinite(a) and math.isfinite(b)):
        return None
    if number.same(number.goodness(a), number.goodness(b)):
        return None
    return "B" if number.goodness(b) > number.goodness(a) else "A"


def winner(a: Number, b: Number) -> str | None:
    """``"A"``, ``"B"``, or None where they look the same, either is not defined, or neither
    way is better."""
    return _verdict(a, a.value, b.value)


def difference_sentence(a: Number, b: Number) -> str:
    """B against A in words, e.g. "B's ECE is 0.030 lower than A's: B is better."

    Example:
        >>> a = Number("ece", "ECE", 0.081, "lower")
        >>> difference_sentence(a, dataclasses.replace(a, value=0.051))
        "B's ECE is 0.030 lower than A's (0.051 against 0.081): B is better."
        >>> cov = Number("cov", "coverage", 0.90, "target", 2, target=0.95)
        >>> difference_sentence(cov, dataclasses.replace(cov, value=0.97))
        "B's coverage is 0.03 closer to the 0.95 target than A's (0.97 against 0.90): B is better."
    """
    if a.same(a.value, b.value):
        return f"A and B have the same {a.label} ({b.text()})."
    undefined = [name for name, n in (("A", a), ("B", b)) if not math.isfinite(n.value)]
    if undefined:
        whose = " and ".join(f"{name}'s" for name in undefined)
        return f"{whose} {a.label} is not defined here, so they cannot be compared."
    both = f"({b.text()} against {a.text()})"
    if a.better == "target":
        t = float(a.target)
        gap = abs(abs(b.value - t) - abs(a.value - t))
        if a.same(0.0, gap):
            side = "above" if b.value > t else "below"
            return (f"A and B are as far from the {a.text(t)} target {both}: B {side} it, A "
                    f"{'above' if a.value > t else 'below'}.")
        closer = "closer to" if abs(b.value - t) < abs(a.value - t) else "farther from"
        sentence = (f"B's {a.label} is {a.text(gap).removesuffix(a.unit)} {closer} the "
                    f"{a.text(t)} target than A's {both}")
    else:
        way = "higher" if b.value > a.value else "lower"
        size = a.text(abs(b.value - a.value)).removesuffix(a.unit)
        sentence = f"B's {a.label} is {size}{a.unit} {way} than A's {both}"
    best = winner(a, b)
    return sentence + (f": {best} is better." if best else ".")


def compare_rows(a: Sequence[Number], b: Sequence[Number]) -> list[dict[str, str]]:
    """The A/B table: one row per headline number (A's order): A, B, B − A, and in words.

    Raises:
        ValueError: A and B do not have the same numbers.
    """
    by_key = {n.key: n for n in b}
    if [n.key for n in a] != list(by_key):
        raise ValueError(f"A and B must have the same headline numbers. Got "
                         f"{[n.key for n in a]} and {list(by_key)}.")
    rows = []
    for na in a:
        nb = by_key[na.key]
        diff = nb.value - na.value
        rows.append({
            "number": na.label,
            "A": na.text(),
            "B": nb.text(),
            "B − A": (("+" if diff > 0 else "") + na.text(diff)) if math.isfinite(diff) else "–",
            "better": na.rule,
            "in words": difference_sentence(na, nb),
        })
    return rows


@dataclasses.dataclass(frozen=True)
class Spread:
    """One headline number over N seeds.

    Attributes:
        number: the number as the current seed gave it (label, rule, decimals).
        seeds: (N,) the seeds, the current one first.
        values: (N,) the number on each seed.
    """

    number: Number
    seeds: np.ndarray
    values: np.ndarray

    @property
    def current(self) -> float:
        """The value on the current seed (the page's run)."""
        return float(self.values[0])

    def range_text(self) -> str:
        """``"0.85–0.94"`` (the smallest and largest value)."""
        finite = self.values[np.isfinite(self.values)]
        if finite.size == 0:
            return "not defined"
        low = self.number.text(float(finite.min())).removesuffix(self.number.unit)
        return f"{low}–{self.number.text(float(finite.max()))}"


def spread_sentence(spread: Spread) -> str:
    """What the spread says about one run's number.

    With a target: whether the target lies inside the seeds' range (then one run's miss can
    be luck) or every seed misses it on the same side (then it is the settings). Otherwise:
    the range, so a difference between two single runs can be judged against it.

    Example:
        >>> cov = Number("cov", "coverage", 0.87, "target", 2, target=0.95)
        >>> s = Spread(cov, np.arange(4), np.array([0.87, 0.96, 0.91, 0.94]))
        >>> print(textwrap.fill(spread_sentence(s), 80))
        coverage 0.87–0.96 over 4 seeds, and the 0.95 target lies inside that range:
        seed 0's 0.87 can be bad luck, not a failure of the settings.
    """
    n, num = spread.number, spread.number
    count = spread.values.size
    head = f"{n.label} {spread.range_text()} over {count} seeds"
    this = f"seed {int(spread.seeds[0])}'s {num.text(spread.current)}"
    values = spread.values[np.isfinite(spread.values)]
    if values.size == 0:
        return f"{head}."
    if n.better == "target":
        t = float(n.target)
        if values.min() <= t <= values.max():
            return (f"{head}, and the {n.text(t)} target lies inside that range: {this} can be "
                    "bad luck, not a failure of the settings.")
        side = "below" if values.max() < t else "above"
        return (f"{head}: every seed is {side} the {n.text(t)} target, so the miss comes from "
                f"the settings, not from luck.")
    width = float(values.max() - values.min())
    return (f"{head} (median {n.text(float(np.median(values)))}): two single runs of these "
            f"settings can differ by up to {n.text(width)} by luck alone.")


def wins(a: Spread, b: Spread) -> tuple[int, int, int]:
    """Seed by seed (paired by position): (B better, A better, neither) counts; "neither"
    counts seeds where the two look the same or either value is not defined.

    Raises:
        ValueError: the number has no better direction, or A and B have different seeds.
    """
    num = a.number
    if num.better is None:
        raise ValueError(f"Number {num.key!r} has no better direction. Got None.")
    if a.values.shape != b.values.shape:
        raise ValueError(f"A and B must have as many seeds. Got {a.values.size} and "
                         f"{b.values.size}.")
    b_wins = a_wins = ties = 0
    for va, vb in zip(a.values.tolist(), b.values.tolist(), strict=True):
        verdict = _verdict(num, va, vb)
        if verdict == "B":
            b_wins += 1
        elif verdict == "A":
            a_wins += 1
        else:
            ties += 1
    return b_wins, a_wins, ties


def sign_test(k: int, n: int) -> float:
    """Two-sided sign-test p-value: the chance of a split at least as lopsided as ``k`` of
    ``n`` when either side wins each seed with probability ½.

    >>> round(sign_test(18, 20), 5)  # 2 · P(X ≥ 18), X ~ Binomial(20, ½)
    0.0004
    """
    if n == 0:
        return 1.0
    k = max(k, n - k)
    tail = sum(math.comb(n, i) for i in range(k, n + 1)) / 2.0**n
    return min(1.0, 2.0 * tail)


LUCK_P = 0.05
"""A sign test's p below this calls a seed-by-seed difference real."""


def wins_sentence(a: Spread, b: Spread) -> str:
    """Who wins seed by seed, and whether that can be luck.

    Example:
        >>> ece = Number("ece", "ECE", 0.05, "lower")
        >>> a = Spread(ece, np.arange(5), np.array([0.05, 0.06, 0.07, 0.05, 0.06]))
        >>> b = Spread(ece, np.arange(5), np.array([0.04, 0.05, 0.08, 0.03, 0.02]))
        >>> print(textwrap.fill(wins_sentence(a, b), 90))
        B has the lower ECE on 4 of 5 paired seeds (A on 1): a split this uneven happens by luck
        alone with chance 0.38, so it may be luck.
    """
    num = a.number
    n = a.values.size
    if num.better is None:
        higher = int(np.sum(b.values > a.values))
        return (f"B's {num.label} is higher than A's on {higher} of {n} paired seeds (neither "
                "way is better).")
    b_wins, a_wins, ties = wins(a, b)
    word = {"lower": "the lower", "higher": "the higher",
            "target": f"the {num.label} closer to {num.text(num.target)}"}[num.better]
    what = word if num.better == "target" else f"{word} {num.label}"
    tie_text = f", {ties} neither" if ties else ""
    if b_wins == a_wins:
        return (f"A and B each have {what} on {b_wins} of {n} paired seeds{tie_text}: no "
                "winner.")
    leader, k, other = ("B", b_wins, a_wins) if b_wins > a_wins else ("A", a_wins, b_wins)
    trailer = "A" if leader == "B" else "B"
    p = sign_test(k, k + other)
    verdict = ("so the difference is unlikely to be luck" if p < LUCK_P
               else "so it may be luck")
    return (f"{leader} has {what} on {k} of {n} paired seeds ({trailer} on {other}{tie_text}): "
            f"a split this uneven happens by luck alone with chance {p:.2g}, {verdict}.")


Headline = Callable[[Any, Any], tuple[Number, ...]]
"""``headline(config, result)``: the page's headline numbers of one result."""


@dataclasses.dataclass(frozen=True)
class WhatIf:
    """What a lab's A/B comparison and its repeat over seeds need.

    Attributes:
        run: the run function a comparison trains, ``run(config, progress) -> result``.
        trained: the page's config → the config ``run`` takes (the training part of it).
        headline: the headline numbers of one result (:data:`Headline`; it gets the page's
            config, so scoring settings that do not retrain still count).
        parts: what one run of a config costs (:mod:`labcore.budget` parts).
        advice: what to reduce when one run alone is over the limit.
        comparisons: the lecture's comparisons: name → (A's config, B's config).
        figure: ``"module:name"`` of the A/B figure, ``figure(config_a, result_a, config_b,
            result_b) -> plotly figure`` (in :mod:`labcore.plots`).
        together: trains N seeds at once where it can, ``together(config, n, progress) ->
            tuple of results`` (None: one after another).
        caption: one line saying what to notice in the A/B figure.
    """

    run: Callable[..., Any]
    trained: Callable[[Any], Any]
    headline: Headline
    parts: Callable[[Any], list]
    advice: str
    comparisons: Mapping[str, tuple[Config, Config]]
    figure: str
    together: Callable[..., tuple] | None = None
    caption: str = ""


@dataclasses.dataclass(frozen=True)
class RepeatRequest:
    """One repeat: ``lab``'s ``config`` (the page's, scoring settings included) over ``n``
    seeds from ``config.seed``. Frozen, so it is a results-cache key."""

    lab: str
    config: Any
    n: int

    def __post_init__(self) -> None:
        if not 2 <= self.n <= MAX_SEEDS:
            raise SettingError(f"Seeds to repeat over must be from 2 to {MAX_SEEDS}. "
                               f"Got {self.n}.")


@dataclasses.dataclass(frozen=True)
class RepeatResult:
    """The headline numbers of N seeds: ``spreads[i]`` is number i over the seeds."""

    seeds: np.ndarray
    spreads: tuple[Spread, ...]

    def spread(self, key: str) -> Spread:
        for s in self.spreads:
            if s.number.key == key:
                return s
        raise ValueError(f"No headline number {key!r}. Got {[s.number.key for s in self.spreads]}.")


def seeds_of(config: Any, n: int) -> np.ndarray:
    """The seeds a repeat trains: ``config.seed``, ``config.seed + 1`` …, wrapping at the seed
    field's maximum."""
    spec = type(config).field_specs().get("seed")
    top = int(spec.max) if spec is not None and spec.max is not None else 9999
    return np.array([(config.seed + k) % (top + 1) for k in range(n)], dtype=int)


def repeat_seconds(whatif: WhatIf, config: Any, n: int) -> float:
    """Estimated seconds of ``n`` runs of ``config`` (one after another: the upper bound)."""
    return n * computation_seconds(whatif.parts(whatif.trained(config)))


def check_repeat(whatif: WhatIf, config: Any, n: int) -> None:
    """Refuse a repeat estimated over the time limit, saying how many seeds would fit.

    Raises:
        SettingError: "… would train for about N s …; use at most k seeds … Got about N s."
    """
    one = computation_seconds(whatif.parts(whatif.trained(config)))
    fits = int(SECONDS_LIMIT // one) if one > 0 else MAX_SEEDS
    advice = (f"repeat over at most {fits} seeds" if fits >= 2
              else f"one run alone is near the limit: {whatif.advice}")
    check_training_time(n * one, advice, f"Repeating these settings over {n} seeds")


def headline_spreads(numbers: Sequence[Sequence[Number]], seeds: np.ndarray
                     ) -> tuple[Spread, ...]:
    """Per-seed headline numbers (seed-major) → one :class:`Spread` per number."""
    first = numbers[0]
    return tuple(
        Spread(number, seeds, np.array([float(per_seed[i].value) for per_seed in numbers]))
        for i, number in enumerate(first))


def run_repeat(whatif: WhatIf, request: RepeatRequest, progress=None) -> RepeatResult:
    """The headline numbers of ``request.config`` over ``request.n`` seeds.

    The whole repeat is checked against the time limit first. Where the lab can
    (``whatif.together``), the seeds train together as one batch; otherwise one after another,
    each filling its slice of the progress bar.
    """
    config, n = request.config, request.n
    check_repeat(whatif, config, n)
    seeds = seeds_of(config, n)
    configs = [config.replace(seed=int(s)) for s in seeds]
    contiguous = bool(np.all(np.diff(seeds) == 1))
    if whatif.together is not None and contiguous:
        results = whatif.together(whatif.trained(config), n, progress)
    else:
        results = []
        for k, cfg in enumerate(configs):
            def part(fraction: float, message: str, k: int = k) -> None:
                if progress is not None:
                    progress((k + fraction) / n, f"Seed {k + 1} of {n}: {message}")
            results.append(whatif.run(whatif.trained(cfg), part))
    numbers = [whatif.headline(cfg, res) for cfg, res in zip(configs, results, strict=True)]
    if progress is not None:
        progress(1.0, "Done")
    return RepeatResult(seeds, headline_spreads(numbers, seeds))
