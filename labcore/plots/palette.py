"""The lab's one colour-blind-safe palette: Okabe–Ito, with a name for every meaning.

The eight colours of Okabe and Ito (2008) stay distinguishable with every common form of colour
blindness. Every figure takes its colours from here, by meaning, so the same thing has the same
colour on every page: aleatoric uncertainty is always orange, epistemic always sky blue, the
true function always black, training data always dark grey, the model's prediction always blue.

The extension beyond the eight (documented, not improvised): neutral greys, which colour-blind
readers see as everyone does, and Paul Tol's "muted" wine (#882255) for the ninth class of the
digits. Ten classes then read as the eight Okabe–Ito colours (yellow late, black last: black
lines are decision boundaries), wine and a mid grey. Classes 9 and 10 are told apart from the
others by lightness, so figures that colour ten classes also label them.

Transparent fills and light shades are made from these colours by :func:`rgba` and
:func:`tint`, never typed as new hex codes.

References:
    Okabe and Ito, "Color Universal Design (CUD): how to make figures and presentations that
    are friendly to colorblind people", 2008. https://jfly.uni-koeln.de/color/
    Tol, "Colour schemes", SRON technical note, 2021 (the "muted" scheme).

Example:
    >>> rgba(ALEATORIC, 0.3)
    'rgba(230, 159, 0, 0.3)'
    >>> base_hex(rgba(ALEATORIC, 0.3)) == ALEATORIC
    True
"""

from __future__ import annotations

import re

# --- the declared colours ----------------------------------------------------------------------

ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"
OKABE_ITO = (ORANGE, SKY_BLUE, BLUISH_GREEN, YELLOW, BLUE, VERMILLION, REDDISH_PURPLE, BLACK)

WINE = "#882255"  # Paul Tol's muted scheme: the ninth class
DARK_GREY = "#555555"
GREY = "#999999"
PALE_GREY = "#DDDDDD"  # Paul Tol's pale grey
EXTENSION = (WINE, DARK_GREY, GREY, PALE_GREY)

DECLARED = frozenset(OKABE_ITO + EXTENSION)
"""Every base colour a figure may use; shades are made from these by rgba() or tint()."""

# --- meanings: uncertainty and data ------------------------------------------------------------

ALEATORIC = ORANGE  # noise in the data (bands, σ(x) curves)
EPISTEMIC = SKY_BLUE  # the model's own doubt
TOTAL = GREY  # aleatoric + epistemic together
TRUTH = BLACK  # the true function / true parameter the data came from
DATA = DARK_GREY  # training points and observed samples
ADDED = VERMILLION  # points added to the training data
MODEL = BLUE  # the model's prediction (predicted mean, current value)
CONFORMAL = BLUISH_GREEN  # conformal prediction band
NO_DATA = PALE_GREY  # regions without training data (outside the range, the gap)

# --- meanings: methods (a score has the colour of the method that makes it) --------------------

METHODS = {
    "plain": BLACK,  # one network, its softmax confidence
    "temperature": ORANGE,  # the same network after temperature scaling
    "mc_dropout": BLUISH_GREEN,
    "ensemble": BLUE,
    "uanll": REDDISH_PURPLE,  # the certainty head of UANLL
    "tta": VERMILLION,  # test-time augmentation (agreement of views)
}

# --- meanings: calibration ---------------------------------------------------------------------

ACCURACY = BLUE
OVERCONFIDENT = VERMILLION  # confidence above accuracy
UNDERCONFIDENT = ORANGE  # confidence below accuracy
VALIDATION = ORANGE
TEST = BLUE
REFERENCE = DARK_GREY  # the diagonal, T = 1 and other "ideal" lines
COUNT = GREY  # how many predictions fall in a bin
BASELINE = DARK_GREY  # chance and random-rejection lines: thin and dashed, so they need the
# 3:1 of WCAG's non-text contrast on white (#555555: 7.5:1; GREY is 2.8:1)

# Figure text (titles, axis labels, annotations) is drawn in the plotly_white template's
# colour (#2a3f5f, 10.8:1 on white); no figure sets a text colour of its own
# (tests/unit/test_contrast.py checks both).

# --- meanings: categories ----------------------------------------------------------------------

CLASSES = (BLUE, ORANGE, BLUISH_GREEN, VERMILLION, REDDISH_PURPLE, SKY_BLUE, YELLOW, WINE, GREY,
           BLACK)
"""Class k's colour (digits 0–9, toy classes 0–3): Okabe–Ito, then wine, grey, black."""

SERIES = (BLACK, VERMILLION, ORANGE, YELLOW, SKY_BLUE, BLUE, BLUISH_GREEN, REDDISH_PURPLE)
"""Eight distinct colours for eight curves of one figure (e.g. the OOD detectors)."""

OOD_SETS = {
    "in": BLUE,  # in-distribution test digits
    "held_out": ORANGE,
    "noise": GREY,
    "inverted": REDDISH_PURPLE,
    "fooling": VERMILLION,
}

_HEX = re.compile(r"#([0-9a-fA-F]{6})")
_RGBA = re.compile(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*[\d.]+\s*)?\)")


def _channels(color: str) -> tuple[int, int, int]:
    """(r, g, b) of ``"#RRGGBB"`` or ``"rgb(r, g, b)"`` / ``"rgba(r, g, b, a)"``."""
    if match := _HEX.fullmatch(color.strip()):
        code = match.group(1)
        return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)
    if match := _RGBA.fullmatch(color.strip()):
        return int(match.group(1)), int(match.group(2)), int(match.group(3))
    raise ValueError(f"A colour must be '#RRGGBB' or 'rgba(r, g, b, a)'. Got {color!r}.")


def rgba(color: str, alpha: float) -> str:
    """``color`` (``"#RRGGBB"``) with opacity ``alpha`` in [0, 1], as plotly's ``rgba(…)``.

    Example:
        >>> rgba("#0072B2", 0.35)
        'rgba(0, 114, 178, 0.35)'
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"Opacity (alpha) must be between 0 and 1. Got {alpha}.")
    r, g, b = _channels(color)
    return f"rgba({r}, {g}, {b}, {alpha:g})"


def tint(color: str, amount: float) -> str:
    """``color`` mixed with white: 0 keeps it, 1 gives white (an opaque light shade).

    Each channel becomes ``round(c + amount · (255 − c))``.

    Example:
        >>> tint("#000000", 0.5), tint("#D55E00", 0.0)
        ('#808080', '#D55E00')
    """
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"Tint amount must be between 0 and 1. Got {amount}.")
    mixed = (round(c + amount * (255 - c)) for c in _channels(color))
    return "#" + "".join(f"{c:02X}" for c in mixed)


def base_hex(color: str) -> str:
    """The ``"#RRGGBB"`` of a colour, ignoring its opacity (``rgba(…)`` → its hex code).

    Example:
        >>> base_hex("rgba(230, 159, 0, 0.28)")
        '#E69F00'
    """
    return "#" + "".join(f"{c:02X}" for c in _channels(color))


DATA_REGION = tint(SKY_BLUE, 0.75)  # where the training data lies (a light, opaque shade)
OVERCONFIDENT_FILL = tint(OVERCONFIDENT, 0.6)  # opaque: a gap drawn over a bar keeps its colour
UNDERCONFIDENT_FILL = tint(UNDERCONFIDENT, 0.6)
