"""Colour contrast of everything the lab chooses, against WCAG 2.1 AA.

The contrast ratio is computed here from the WCAG definition (independent of the lab's code):
relative luminance ``L = 0.2126 R + 0.7152 G + 0.0722 B`` of the linearised sRGB channels
(``c / 12.92`` up to 0.04045, else ``((c + 0.055) / 1.055) ** 2.4``), and the ratio
``(L_lighter + 0.05) / (L_darker + 0.05)``. AA asks 4.5:1 for normal text and 3:1 for large
text and for the parts of a control (a focus ring) or a thin line that carry meaning.

The colours are read where the app takes them: the theme from ``.streamlit/config.toml``, the
stylesheets from ``labui/shell.py`` and ``labui/present.py``, the figures' from the palette
and plotly's template.

References:
    WCAG 2.1, "relative luminance" and "contrast ratio", https://www.w3.org/TR/WCAG21/
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from labcore.plots import _spec, palette
from labui import present, shell

ROOT = Path(__file__).resolve().parents[2]
TEXT = 4.5  # AA, normal text
GRAPHIC = 3.0  # AA, large text, focus indicators, meaningful thin lines

WHITE = "#ffffff"
SIDEBAR = "#f0f2f6"  # Streamlit's light theme secondaryBackgroundColor
SIDEBAR_1_67 = "#f8f8f7"  # the sidebar as Streamlit 1.67 draws it (measured in Chromium)
PILL_BEFORE = "#ebf1fb"  # a selected pill under the old theme colour #3b6fd8 (axe measured it)
PILL_TINT = 0.1  # a selected pill's background: the theme colour at 10 % over white
# (#ebf1fb = 10 % of #3b6fd8: (255 − 235) / (255 − 59) = 0.102, 14/144, 4/39 ≈ 0.1)


def channels(color: str) -> tuple[int, int, int]:
    code = color.lstrip("#")
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)


def luminance(color: str) -> float:
    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in channels(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def over_white(color: str, alpha: float) -> str:
    return "#" + "".join(f"{round(255 + alpha * (c - 255)):02x}" for c in channels(color))


def css_rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, {property: value}) for every rule of a flat stylesheet."""
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css.replace("<style>", "")):
        decls = dict(re.findall(r"([\w-]+)\s*:\s*([^;]+?)\s*(?:;|$)", body.strip()))
        rules.append((" ".join(selector.split()), decls))
    return rules


def css_colors(css: str, prop: str) -> list[str]:
    return [m for _, d in css_rules(css) if prop in d
            for m in re.findall(r"#[0-9a-fA-F]{6}", d[prop])]


def theme_primary() -> str:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    return config["theme"]["primaryColor"]


def test_the_formula_by_hand() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)  # (1 + 0.05) / (0 + 0.05)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # WCAG's classic
    assert contrast("#3b6fd8", PILL_BEFORE) == pytest.approx(4.15, abs=0.01)  # axe's number
    assert contrast("#828180", WHITE) == pytest.approx(3.88, abs=0.01)  # the old caption grey
    assert over_white("#3b6fd8", PILL_TINT) == "#ebf1fb"


@pytest.mark.parametrize("background", [WHITE, SIDEBAR, SIDEBAR_1_67, PILL_BEFORE, "pill"])
def test_theme_colour_reads_as_text(background: str) -> None:
    primary = theme_primary()
    ground = over_white(primary, PILL_TINT) if background == "pill" else background
    assert contrast(primary, ground) >= TEXT, (primary, ground, contrast(primary, ground))


@pytest.mark.parametrize("background", [WHITE, SIDEBAR, SIDEBAR_1_67])
def test_captions_read_as_body_text(background: str) -> None:
    (rule,) = [d for s, d in css_rules(shell.A11Y_CSS) if "stCaptionContainer" in s]
    assert rule["opacity"] == "1"  # Streamlit's 0.6 would fade the colour again
    caption = rule["color"]
    assert contrast(caption, background) >= TEXT, (caption, background)


def test_focus_ring_stands_out_from_every_background() -> None:
    rings = css_colors(shell.A11Y_CSS, "outline")
    assert len(rings) >= 3  # controls, boxed inputs and toggles, the slider thumb
    primary = theme_primary()
    for ring in set(rings):
        for ground in (WHITE, SIDEBAR, SIDEBAR_1_67, over_white(primary, PILL_TINT)):
            assert contrast(ring, ground) >= GRAPHIC, (ring, ground)


def test_skip_link_reads_when_shown() -> None:
    (rule,) = [d for s, d in css_rules(shell.A11Y_CSS) if s == "#lab-skip-to-settings:focus"]
    (text,) = re.findall(r"#[0-9a-fA-F]{6}", rule["color"])
    (ground,) = re.findall(r"#[0-9a-fA-F]{6}", rule["background-color"])
    assert contrast(text, ground) >= TEXT


def test_presentation_text_colours() -> None:
    pairs = [(d["color"], d.get("background-color", WHITE))
             for _, d in css_rules(present.PRESENT_CSS) if "color" in d]
    assert pairs  # the notices' callouts
    for text, ground in pairs:
        assert contrast(text, ground) >= TEXT, (text, ground, contrast(text, ground))


def test_figure_text_colour() -> None:
    layout = _spec._template(_spec.TEMPLATE)["layout"]
    text = layout["font"]["color"]
    for ground in (layout["paper_bgcolor"], layout["plot_bgcolor"]):
        ground = WHITE if ground == "white" else ground
        assert contrast(text, ground) >= TEXT, (text, ground)


def _font_colors(path: Path) -> list[str]:
    """Source of every ``color`` given inside a ``font``-like dict literal of a plot module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if (isinstance(key, ast.Constant) and str(key.value).endswith("font")
                    and isinstance(value, ast.Dict)):
                found += [ast.unparse(v) for k, v in zip(value.keys, value.values, strict=True)
                          if isinstance(k, ast.Constant) and k.value == "color"]
    return found


def test_every_palette_colour_used_for_figure_text_reads() -> None:
    """A text colour a figure sets (``font``/``textfont``… ``color``) must be a palette name
    whose colour reads on white; today every figure's text is the template's colour."""
    for path in sorted((ROOT / "labcore" / "plots").glob("*.py")):
        for source in _font_colors(path):
            name = re.fullmatch(r"palette\.([A-Z_]+)", source)
            assert name, f"{path.name}: text colour {source} is not a palette name"
            color = getattr(palette, name.group(1))
            assert contrast(color, WHITE) >= TEXT, (path.name, source, color)


def test_the_font_colour_scan_sees_a_font_colour(tmp_path: Path) -> None:
    module = tmp_path / "fig.py"
    module.write_text('LAYOUT = {"textfont": {"size": 10, "color": palette.BLACK}}\n')
    assert _font_colors(module) == ["palette.BLACK"]


@pytest.mark.parametrize("name", ["BASELINE", "REFERENCE", "TRUTH", "MODEL", "DATA"])
def test_thin_guide_lines_stand_out(name: str) -> None:
    """Dashed chance/reference lines, the truth and the prediction: ≥ 3:1 on white."""
    assert contrast(getattr(palette, name), WHITE) >= GRAPHIC
