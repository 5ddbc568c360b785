"""The one palette: Okabe–Ito plus a documented extension, used by meaning in every plot module."""

from __future__ import annotations

import re

import pytest

from labcore.plots import calibration, classification, home, ood, palette, regression

# Okabe and Ito (2008), typed from the source, independent of the module under test.
OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000"}
EXTENSION = {"#882255", "#555555", "#999999", "#DDDDDD"}  # Tol's wine, neutral greys


def _upper(color: str) -> str:
    return color.upper()


def _palette_values() -> list[str]:
    """Every colour string the palette module defines (constants, tuples, dicts)."""
    found: list[str] = []
    for name, value in vars(palette).items():
        if name.startswith("_") or name in ("DATA_REGION", "OVERCONFIDENT_FILL",
                                            "UNDERCONFIDENT_FILL"):
            continue
        if isinstance(value, str) and value.startswith("#"):
            found.append(value)
        elif isinstance(value, tuple | frozenset):
            found += [v for v in value if isinstance(v, str)]
        elif isinstance(value, dict):
            found += [v for v in value.values() if isinstance(v, str)]
    return found


def test_the_declared_set_is_okabe_ito_plus_the_documented_extension() -> None:
    assert set(map(_upper, palette.OKABE_ITO)) == OKABE_ITO
    assert set(map(_upper, palette.DECLARED)) == OKABE_ITO | EXTENSION


def test_every_colour_in_the_palette_is_declared() -> None:
    values = _palette_values()
    assert len(values) > 40  # the scan found the constants, tuples and dicts
    stray = sorted({v for v in values if _upper(v) not in OKABE_ITO | EXTENSION})
    assert not stray, f"colours outside Okabe–Ito + extension: {stray}"


def test_light_shades_are_tints_of_declared_colours() -> None:
    assert palette.tint(palette.SKY_BLUE, 0.75) == palette.DATA_REGION
    assert palette.tint(palette.OVERCONFIDENT, 0.6) == palette.OVERCONFIDENT_FILL
    assert palette.tint(palette.UNDERCONFIDENT, 0.6) == palette.UNDERCONFIDENT_FILL


def test_ten_classes_get_ten_distinct_colours_and_eight_series_too() -> None:
    assert len(palette.CLASSES) == len(set(palette.CLASSES)) == 10
    assert set(palette.CLASSES[:7]) <= set(palette.OKABE_ITO)
    assert len(palette.SERIES) == len(set(palette.SERIES)) == 8


def test_rgba_tint_and_base_hex_by_hand() -> None:
    assert palette.rgba("#0072B2", 0.35) == "rgba(0, 114, 178, 0.35)"  # 0x72 = 114, 0xB2 = 178
    assert palette.tint("#000000", 0.5) == "#808080"  # round(127.5) = 128 = 0x80
    assert palette.tint("#56B4E9", 1.0) == "#FFFFFF"
    assert palette.tint("#56B4E9", 0.0) == "#56B4E9"
    # (86, 180, 233) + 0.75 · (169, 75, 22) = (212.75, 236.25, 249.5) → (213, 236, 250)
    assert palette.tint("#56B4E9", 0.75) == "#D5ECFA"
    assert palette.base_hex("rgba(230, 159, 0, 0.28)") == "#E69F00"
    with pytest.raises(ValueError, match=r"Got 1\.5"):
        palette.rgba("#000000", 1.5)
    with pytest.raises(ValueError, match="Got 'red'"):
        palette.base_hex("red")


# What each plot module's constant means → the palette's name for that meaning.
SEMANTIC = [
    (regression.ALEATORIC_COLOR, palette.ALEATORIC),
    (regression.EPISTEMIC_COLOR, palette.EPISTEMIC),
    (regression.TOTAL_COLOR, palette.TOTAL),
    (regression.TRUE_COLOR, palette.TRUTH),
    (regression.DATA_COLOR, palette.DATA),
    (regression.MEAN_COLOR, palette.MODEL),
    (regression.ADDED_COLOR, palette.ADDED),
    (regression.CONFORMAL_COLOR, palette.CONFORMAL),
    (home.TRUE_COLOR, palette.TRUTH),
    (home.DATA_COLOR, palette.DATA),
    (home.CURRENT_COLOR, palette.MODEL),
    (calibration.ACCURACY_COLOR, palette.ACCURACY),
    (calibration.OVER_LINE, palette.OVERCONFIDENT),
    (calibration.UNDER_LINE, palette.UNDERCONFIDENT),
    (calibration.VAL_COLOR, palette.VALIDATION),
    (calibration.TEST_COLOR, palette.TEST),
    (calibration.DIAGONAL_COLOR, palette.REFERENCE),
    (calibration.COUNT_COLOR, palette.COUNT),
]


@pytest.mark.parametrize(("used", "meant"), SEMANTIC)
def test_plot_constants_are_palette_colours(used: str, meant: str) -> None:
    assert palette.base_hex(used) == meant


def test_same_meaning_same_colour_across_modules() -> None:
    # truth, data and the model's prediction: Home and Regression
    assert home.TRUE_COLOR == regression.TRUE_COLOR == palette.TRUTH
    assert home.DATA_COLOR == regression.DATA_COLOR == palette.DATA
    assert home.CURRENT_COLOR == regression.MEAN_COLOR == palette.MODEL
    # classes: Classification's ten and the OOD toy's four are the same sequence
    assert tuple(classification.CLASS_COLORS) == palette.CLASSES
    assert tuple(ood.CLASS_COLORS) == palette.CLASSES[:4]
    # a score has the colour of the method that makes it, on both pages
    scores = classification.SCORE_COLORS
    assert scores["confidence"] == ood.METHOD_COLORS["plain"]
    assert scores["certainty"] == ood.METHOD_COLORS["uanll"]
    assert scores["members_agree"] == ood.METHOD_COLORS["ensemble"]
    assert scores["view_agreement"] == ood.METHOD_COLORS["tta"]
    assert ood.METHOD_COLORS == palette.METHODS
    # the four uncertainty meanings are four different colours
    meanings = [palette.ALEATORIC, palette.EPISTEMIC, palette.TOTAL, palette.TRUTH, palette.DATA]
    assert len(set(meanings)) == len(meanings)


def test_every_detector_curve_has_its_own_declared_colour() -> None:
    colours = list(ood.DETECTOR_COLORS.values())
    assert len(set(colours)) == len(colours) == len(ood.DETECTORS)
    assert {_upper(c) for c in colours} <= OKABE_ITO


def test_module_constants_hold_no_hex_codes_of_their_own() -> None:
    """Every *_COLOR(S) constant of the plot modules resolves to a declared colour."""
    for module in (regression, home, calibration, classification, ood):
        for name, value in vars(module).items():
            if not re.fullmatch(r"[A-Z_]*COLOU?RS?|DARK", name):
                continue
            values = value.values() if isinstance(value, dict) else (
                value if isinstance(value, tuple | list) else [value])
            for color in values:
                base = palette.base_hex(color)
                shades = {palette.OVERCONFIDENT_FILL, palette.UNDERCONFIDENT_FILL}
                assert base in OKABE_ITO | EXTENSION or base in shades, (
                    f"{module.__name__}.{name} uses {color}")
