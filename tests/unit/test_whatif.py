"""The generic "What if?" engine (:mod:`labcore.whatif`): its sentences agree with its numbers.

Every sentence is checked against a verdict computed here from the values and the number's
rule (lower, higher, closer to a target), never by calling the function under test twice;
hypothesis draws the values, decimals and rules.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from labcore.errors import SettingError
from labcore.whatif import (
    MAX_SEEDS,
    Number,
    RepeatRequest,
    Spread,
    compare_rows,
    difference_sentence,
    sign_test,
    spread_sentence,
    winner,
    wins,
    wins_sentence,
)

VALUES = st.floats(-50.0, 50.0, allow_nan=False, allow_infinity=False)
DIGITS = st.integers(0, 4)
UNITS = st.sampled_from(["", " nats"])


def shown_same(a: float, b: float, digits: int) -> bool:
    """The tie rule, restated: closer than half a unit of the last decimal shown."""
    return abs(b - a) < 0.5 * 10.0**-digits


def b_is_better(a: float, b: float, better: str, target: float | None = None) -> bool:
    """Whether B's value is better than A's under ``better`` (values known to differ)."""
    if better == "lower":
        return b < a
    if better == "higher":
        return b > a
    return abs(b - target) < abs(a - target)


SENTENCE = re.compile(
    r"^B's score is (?P<size>[\d.]+)(?P<unit>( nats)?) (?P<way>higher|lower) than A's "
    r"\((?P<b>[^ ]+)( nats)? against (?P<a>[^ ]+)( nats)?\)(: (?P<win>[AB]) is better)?\.$")
TARGET_SENTENCE = re.compile(
    r"^B's score is (?P<gap>[\d.]+) (?P<way>closer to|farther from) the (?P<t>[^ ]+) target "
    r"than A's \(.+\)(: (?P<win>[AB]) is better)?\.$")


# ---- Number ----------------------------------------------------------------------------


def test_a_number_has_a_target_exactly_when_better_is_target():
    Number("c", "coverage", 0.9, "target", target=0.95)
    Number("e", "ECE", 0.1, "lower")
    Number("w", "width", 2.0, None)
    with pytest.raises(ValueError, match="target exactly when better is 'target'"):
        Number("c", "coverage", 0.9, "target")
    with pytest.raises(ValueError, match=re.escape("Got better='lower', target=0.95")):
        Number("e", "ECE", 0.1, "lower", target=0.95)
    with pytest.raises(ValueError, match="target exactly"):
        Number("w", "width", 2.0, None, target=1.0)


def test_a_numbers_text_rule_and_goodness():
    cov = Number("c", "coverage", 0.9, "target", 2, target=0.95)
    assert cov.text() == "0.90" and cov.rule == "closer to 0.95 is better"
    assert cov.goodness(0.97) == pytest.approx(-0.02)
    nll = Number("n", "NLL", 1.23456, "lower", 3, " nats")
    assert nll.text() == "1.235 nats" and nll.rule == "lower is better"
    assert nll.text(math.inf) == "∞" and nll.text(-math.inf) == "−∞"
    assert nll.text(math.nan) == "not defined"
    width = Number("w", "width", 2.0, None)
    assert width.rule == "neither way is better"
    with pytest.raises(ValueError, match="no better direction"):
        width.goodness(1.0)


# ---- difference_sentence and winner ----------------------------------------------------------


@given(a=VALUES, b=VALUES, digits=DIGITS, unit=UNITS,
       better=st.sampled_from(["lower", "higher", None]))
@example(a=0.081, b=0.051, digits=3, unit="", better="lower")
@example(a=0.5, b=0.5004, digits=3, unit="", better="higher")
def test_difference_sentence_says_the_way_and_names_the_winner_of_the_rule(a, b, digits, unit,
                                                                          better):
    na = Number("s", "score", a, better, digits, unit)
    nb = Number("s", "score", b, better, digits, unit)
    sentence = difference_sentence(na, nb)
    if shown_same(a, b, digits):
        assert sentence.startswith("A and B have the same score")
        assert winner(na, nb) is None
        return
    match = SENTENCE.match(sentence)
    assert match, sentence
    assert match["way"] == ("higher" if b > a else "lower")
    assert match["unit"] == unit
    assert abs(float(match["size"]) - abs(b - a)) <= 0.5 * 10.0**-digits + 1e-9
    expected = None if better is None else ("B" if b_is_better(a, b, better) else "A")
    assert match["win"] == expected
    assert winner(na, nb) == expected


@given(a=VALUES, b=VALUES, target=VALUES, digits=DIGITS)
@example(a=0.90, b=0.97, target=0.95, digits=2)
@example(a=0.97, b=0.80, target=0.95, digits=2)
def test_difference_sentence_with_a_target_says_closer_or_farther_as_the_distances_do(
        a, b, target, digits):
    na = Number("s", "score", a, "target", digits, target=target)
    nb = Number("s", "score", b, "target", digits, target=target)
    sentence = difference_sentence(na, nb)
    gap = abs(abs(b - target) - abs(a - target))
    if shown_same(a, b, digits):
        assert sentence.startswith("A and B have the same score")
        return
    if shown_same(0.0, gap, digits):
        assert sentence.startswith("A and B are as far from the")
        assert f"B {'above' if b > target else 'below'} it" in sentence
        return
    match = TARGET_SENTENCE.match(sentence)
    assert match, sentence
    closer = abs(b - target) < abs(a - target)
    assert match["way"] == ("closer to" if closer else "farther from")
    assert match["win"] == ("B" if closer else "A")
    assert winner(na, nb) == ("B" if closer else "A")
    assert abs(float(match["gap"]) - gap) <= 0.5 * 10.0**-digits + 1e-9


# ---- compare_rows ------------------------------------------------------------------------


def test_compare_rows_gives_a_b_the_signed_difference_and_the_sentence():
    a = (Number("nll", "NLL", 1.20, "lower", 2, " nats"),
         Number("cov", "coverage", 0.90, "target", 2, target=0.95))
    b = (Number("nll", "NLL", 1.05, "lower", 2, " nats"),
         Number("cov", "coverage", 0.97, "target", 2, target=0.95))
    rows = compare_rows(a, b)
    assert [r["number"] for r in rows] == ["NLL", "coverage"]
    assert (rows[0]["A"], rows[0]["B"], rows[0]["B − A"]) == ("1.20 nats", "1.05 nats",
                                                              "-0.15 nats")
    assert rows[1]["B − A"] == "+0.07" and rows[1]["better"] == "closer to 0.95 is better"
    assert [r["in words"] for r in rows] == [difference_sentence(x, y)
                                             for x, y in zip(a, b, strict=True)]


@pytest.mark.parametrize("b_keys", [("nll",), ("nll", "ece"), ("cov", "nll"),
                                    ("nll", "cov", "ece")])
def test_compare_rows_refuses_numbers_that_do_not_match(b_keys):
    a = (Number("nll", "NLL", 1.0, "lower"), Number("cov", "coverage", 0.9, "target",
                                                     target=0.95))
    b = tuple(Number(k, k, 1.0, "lower") for k in b_keys)
    with pytest.raises(ValueError, match="A and B must have the same headline numbers"):
        compare_rows(a, b)


# ---- wins, wins_sentence and the sign test -------------------------------------------------


def paired():
    """A's and B's values over the same seeds."""
    return st.integers(1, 12).flatmap(lambda n: st.tuples(
        st.lists(VALUES, min_size=n, max_size=n), st.lists(VALUES, min_size=n, max_size=n)))


@given(data=st.data(), better=st.sampled_from(["lower", "higher", "target"]), digits=DIGITS)
def test_wins_counts_the_seeds_each_side_wins_as_counted_here(data, better, digits):
    target = data.draw(VALUES) if better == "target" else None
    va, vb = data.draw(paired())
    number = Number("s", "score", va[0], better, digits, target=target)
    seeds = np.arange(len(va))
    sa, sb = Spread(number, seeds, np.array(va)), Spread(number, seeds, np.array(vb))

    def tied(x: float, y: float) -> bool:  # with a target: as far from it, as shown
        if better == "target":
            return shown_same(abs(x - target), abs(y - target), digits)
        return shown_same(x, y, digits)

    ties = sum(tied(x, y) for x, y in zip(va, vb, strict=True))
    b_wins = sum(not tied(x, y) and b_is_better(x, y, better, target)
                 for x, y in zip(va, vb, strict=True))
    a_wins = len(va) - ties - b_wins
    assert wins(sa, sb) == (b_wins, a_wins, ties)

    sentence = wins_sentence(sa, sb)
    n = len(va)
    if b_wins == a_wins:
        assert sentence.startswith("A and B each have") and f"on {b_wins} of {n} " in sentence
        return
    leader, k, other = ("B", b_wins, a_wins) if b_wins > a_wins else ("A", a_wins, b_wins)
    assert sentence.startswith(f"{leader} has ")
    assert f" on {k} of {n} paired seeds ({'A' if leader == 'B' else 'B'} on {other}" in sentence
    p = float(re.search(r"with chance ([\d.e-]+),", sentence)[1])
    assert p == pytest.approx(sign_test(k, k + other), rel=0.05, abs=1e-12)
    assert ("unlikely to be luck" in sentence) == (sign_test(k, k + other) < 0.05)


def test_wins_sentence_without_a_rule_counts_where_b_is_higher():
    width = Number("w", "width", 1.0, None)
    seeds = np.arange(4)
    a = Spread(width, seeds, np.array([1.0, 2.0, 3.0, 4.0]))
    b = Spread(width, seeds, np.array([1.5, 1.0, 3.5, 4.5]))
    assert wins_sentence(a, b) == ("B's width is higher than A's on 3 of 4 paired seeds "
                                   "(neither way is better).")


def test_wins_refuses_spreads_of_different_lengths():
    ece = Number("e", "ECE", 0.1, "lower")
    with pytest.raises(ValueError, match="as many seeds"):
        wins(Spread(ece, np.arange(3), np.zeros(3)), Spread(ece, np.arange(4), np.zeros(4)))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 19, 20, 40])
def test_sign_test_is_scipys_two_sided_binomial_test(n):
    binomtest = pytest.importorskip("scipy.stats").binomtest
    for k in range(n + 1):
        assert sign_test(k, n) == pytest.approx(binomtest(k, n, 0.5).pvalue, rel=1e-9)


def test_sign_test_of_no_seeds_is_one():
    assert sign_test(0, 0) == 1.0


# ---- spread_sentence ----------------------------------------------------------------------


@given(values=st.lists(VALUES, min_size=1, max_size=MAX_SEEDS), target=VALUES, digits=DIGITS)
def test_spread_sentence_with_a_target_says_whether_the_range_holds_it(values, target, digits):
    number = Number("c", "coverage", values[0], "target", digits, target=target)
    spread = Spread(number, np.arange(7, 7 + len(values)), np.array(values))
    sentence = spread_sentence(spread)
    lo, hi = min(values), max(values)
    assert sentence.startswith(f"coverage {number.text(lo)}–{number.text(hi)} over "
                               f"{len(values)} seeds")
    if lo <= target <= hi:
        assert "lies inside that range" in sentence
        assert f"seed 7's {number.text(values[0])} can be bad luck" in sentence
    else:
        side = "below" if hi < target else "above"
        assert f"every seed is {side} the {number.text(target)} target" in sentence


@given(values=st.lists(VALUES, min_size=1, max_size=MAX_SEEDS), digits=DIGITS,
       better=st.sampled_from(["lower", "higher", None]))
def test_spread_sentence_without_a_target_gives_the_range_median_and_width(values, digits,
                                                                          better):
    number = Number("e", "ECE", values[0], better, digits)
    spread = Spread(number, np.arange(len(values)), np.array(values))
    sentence = spread_sentence(spread)
    lo, hi = min(values), max(values)
    assert sentence == (
        f"ECE {number.text(lo)}–{number.text(hi)} over {len(values)} seeds (median "
        f"{number.text(float(np.median(values)))}): two single runs of these settings can "
        f"differ by up to {number.text(hi - lo)} by luck alone.")


def test_spread_sentence_of_undefined_values():
    auc = Number("f", "flip AUROC", math.nan, "higher")
    spread = Spread(auc, np.arange(3), np.full(3, math.nan))
    assert spread_sentence(spread) == "flip AUROC not defined over 3 seeds."


# ---- RepeatRequest ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [-1, 0, 1, MAX_SEEDS + 1])
def test_a_repeat_needs_two_to_max_seeds(n):
    with pytest.raises(SettingError, match=f"from 2 to {MAX_SEEDS}. Got {n}."):
        RepeatRequest("home", None, n)


# ---- known gaps, kept visible ---------------------------------------------------------------


def test_an_undefined_value_has_no_winner():
    auc = Number("f", "flip AUROC", math.nan, "higher")
    assert winner(auc, auc) is None
    assert "is better" not in difference_sentence(auc, auc)
    defined = Number("f", "flip AUROC", 0.8, "higher")
    assert winner(auc, defined) is None
    spread = Spread(auc, np.arange(3), np.full(3, math.nan))
    assert wins(spread, spread) == (0, 0, 3)


def test_values_equally_far_from_the_target_have_no_winner():
    a = Number("c", "coverage", 0.90, "target", 2, target=0.95)
    b = Number("c", "coverage", 1.00, "target", 2, target=0.95)
    assert difference_sentence(a, b).startswith("A and B are as far from the 0.95 target")
    assert winner(a, b) is None
    seeds = np.arange(2)
    assert wins(Spread(a, seeds, np.array([0.90, 1.00])),
                Spread(a, seeds, np.array([1.00, 0.90])))[2] == 2
