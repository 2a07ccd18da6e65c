"""Colours, fonts and the style sheet of the app: one calm, dark, colour-blind-safe look.

The mood scale runs from orange (-1) through grey (0) to blue (+1) rather than
red/green, so the 8 % of men with a red-green colour deficiency read it too.
Expression colours are the Okabe-Ito palette (plus grey for neutral).

``mood_rgb`` and ``mood_word`` are plain functions (no Qt) so they can be
unit-tested; ``mood_color`` wraps the first in a QColor.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from ..resources import asset_path
from ..types import EXPRESSIONS

# --- palette ---------------------------------------------------------------------------------

BG = "#1b1f24"  # window background
PANEL = "#242a31"  # cards
PANEL_EDGE = "#313840"
TEXT = "#e8ecf0"
MUTED = "#9aa5b1"
FAINT = "#5c6773"
ACCENT = "#4ea1e6"  # buttons, links, focus
WARN = "#e8a13a"  # fault banner (amber, not red: a paused app is not an emergency)
REC = "#e8a13a"  # the "analysing" dot
#: The attention share (a line on the timeline, its figure on the dashboard): a light
#: violet, the hue of the PDF report's attention line, apart from the mood's blue and orange.
ATTENTION = "#b39ae6"

NEGATIVE_RGB = (230, 140, 40)  # orange, mood -1
NEUTRAL_RGB = (138, 147, 156)  # grey, mood 0
POSITIVE_RGB = (70, 150, 230)  # blue, mood +1

#: Okabe-Ito colours per expression, in EXPRESSIONS order.
EXPRESSION_HEX: dict[str, str] = {
    "angry": "#D55E00",
    "disgust": "#009E73",
    "fear": "#F0E442",
    "happy": "#56B4E9",
    "sad": "#CC79A7",
    "surprise": "#E69F00",
    "neutral": "#8A939C",
}
assert tuple(EXPRESSION_HEX) == EXPRESSIONS

FONT_FAMILIES = ["Inter", "Segoe UI", "SF Pro Text", "Helvetica Neue", "Cantarell", "Noto Sans", "DejaVu Sans", "Arial"]


def mood_rgb(value: float | None) -> tuple[int, int, int]:
    """The colour of a mood index: orange (-1) -> grey (0) -> blue (+1); grey for None."""
    if value is None:
        return NEUTRAL_RGB
    v = max(-1.0, min(1.0, float(value)))
    end = POSITIVE_RGB if v >= 0 else NEGATIVE_RGB
    a = abs(v)
    return tuple(round(n + (e - n) * a) for n, e in zip(NEUTRAL_RGB, end))  # type: ignore[return-value]


def mood_color(value: float | None, alpha: int = 255) -> QColor:
    r, g, b = mood_rgb(value)
    return QColor(r, g, b, alpha)


def mood_word(value: float | None) -> str:
    """A few words for a mood index, for people who do not read gauges."""
    if value is None:
        return "no reading"
    if value >= 0.35:
        return "clearly positive"
    if value >= 0.12:
        return "leaning positive"
    if value > -0.12:
        return "neutral"
    if value > -0.35:
        return "leaning negative"
    return "clearly negative"


def signed(value: float | None, digits: int = 2) -> str:
    """``+0.23`` / ``−0.12`` with a real minus sign; an en dash for None."""
    if value is None:
        return "\u2013"
    text = f"{value:+.{digits}f}"
    if text.lstrip("+-").strip("0.") == "":
        text = f"{0.0:.{digits}f}"  # no "+0.00" / "-0.00"
    return text.replace("-", "\u2212")


def expression_color(name: str, alpha: int = 255) -> QColor:
    color = QColor(EXPRESSION_HEX[name])
    color.setAlpha(alpha)
    return color


def expression_fill(name: str, opacity: float) -> QColor:
    """The expression's colour as it looks at ``opacity`` over the window background, yet opaque.

    Qt fills an opaque brush without reading back what is under it; the timeline's stacked
    bands (seven fills over one another, redrawn every second once the timeline scrolls) cost
    a third as much CPU that way (``python benchmarks/dashboard_draw.py``)."""
    color, bg = QColor(EXPRESSION_HEX[name]), QColor(BG)
    mix = [round(c * opacity + b * (1 - opacity)) for c, b in zip(color.getRgb()[:3], bg.getRgb()[:3])]
    return QColor(*mix)


def font(point_size: float, *, bold: bool = False, weight: QFont.Weight | None = None) -> QFont:
    f = QFont()
    f.setFamilies(FONT_FAMILIES)
    f.setStyleHint(QFont.StyleHint.SansSerif)
    f.setPointSizeF(point_size)
    if weight is not None:
        f.setWeight(weight)
    elif bold:
        f.setWeight(QFont.Weight.DemiBold)
    return f


STYLE_SHEET = f"""
QWidget {{ background: {BG}; color: {TEXT}; }}
QToolTip {{ background: {PANEL}; color: {TEXT}; border: 1px solid {PANEL_EDGE}; padding: 4px; }}
QFrame#card {{ background: {PANEL}; border: 1px solid {PANEL_EDGE}; border-radius: 10px; }}
QFrame#card QWidget {{ background: transparent; }}
QLabel#muted {{ color: {MUTED}; }}
QLabel#faint {{ color: {FAINT}; }}
QLabel#title {{ color: {TEXT}; }}
QLabel#banner {{ background: #3a2f1c; color: #f3d9a8; border: 1px solid #5a4522; border-radius: 8px; padding: 8px 12px; }}
QLabel#lock {{ color: {WARN}; }}
QProgressBar#share {{ background: #15191d; border: none; border-radius: 3px; }}
QProgressBar#share::chunk {{ background: {ATTENTION}; border-radius: 3px; }}
QPushButton {{ background: #2d353e; color: {TEXT}; border: 1px solid #3b4550; border-radius: 7px; padding: 6px 14px; }}
QPushButton:hover {{ background: #35404b; }}
QPushButton:pressed {{ background: #28303a; }}
QPushButton:disabled {{ color: {FAINT}; background: #242a31; border-color: #2d343c; }}
QPushButton#primary {{ background: #2f6fa8; border-color: #3a82c4; font-weight: 600; }}
QPushButton#primary:hover {{ background: #3a7fbc; }}
QPushButton#flat {{ background: transparent; border: none; padding: 4px 8px; color: {MUTED}; }}
QPushButton#flat:hover {{ color: {TEXT}; }}
QPushButton#flat:checked {{ color: {ACCENT}; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox {{ background: #15191d; border: 1px solid #3b4550; border-radius: 6px; padding: 4px 6px; }}
QLineEdit:disabled, QSpinBox:disabled, QDoubleSpinBox:disabled, QComboBox:disabled {{ color: {FAINT}; border-color: #2d343c; }}
QCheckBox:disabled {{ color: {FAINT}; }}
QCheckBox::indicator {{ width: 15px; height: 15px; border: 1px solid #5c6773; border-radius: 4px; background: #15191d; }}
QCheckBox::indicator:hover {{ border-color: {ACCENT}; }}
QCheckBox::indicator:checked {{ background: #2f6fa8; border-color: #3a82c4; image: url("{{check}}"); }}
QCheckBox::indicator:disabled {{ border-color: #363e47; background: #1d2227; }}
QCheckBox::indicator:checked:disabled {{ background: #3a4250; border-color: #3a4250; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{ width: 18px; border: none; background: transparent; }}
QAbstractSpinBox::up-arrow {{ image: url("{{up}}"); width: 10px; height: 6px; }}
QAbstractSpinBox::down-arrow {{ image: url("{{down}}"); width: 10px; height: 6px; }}
QAbstractSpinBox::up-arrow:disabled, QAbstractSpinBox::down-arrow:disabled {{ image: none; }}
QListWidget {{ background: #15191d; border: 1px solid {PANEL_EDGE}; border-radius: 8px; }}
QListWidget::item {{ padding: 6px; }}
QListWidget::item:selected {{ background: #2f4f6e; color: {TEXT}; }}
QMenu {{ background: {PANEL}; border: 1px solid {PANEL_EDGE}; padding: 4px; }}
QMenu::item {{ padding: 5px 22px; }}
QMenu::item:selected {{ background: #2f4f6e; }}
QMenu::item:disabled {{ color: {FAINT}; }}
QMenu::separator {{ height: 1px; background: {PANEL_EDGE}; margin: 4px 8px; }}
"""


def apply(app: QApplication) -> None:
    """Install the style on the application (fonts, palette for native parts, style sheet)."""
    app.setStyle("Fusion")
    app.setFont(font(10))
    palette = QPalette()
    for role, value in (
        (QPalette.ColorRole.Window, BG),
        (QPalette.ColorRole.WindowText, TEXT),
        (QPalette.ColorRole.Base, "#15191d"),
        (QPalette.ColorRole.AlternateBase, PANEL),
        (QPalette.ColorRole.Text, TEXT),
        (QPalette.ColorRole.Button, "#2d353e"),
        (QPalette.ColorRole.ButtonText, TEXT),
        (QPalette.ColorRole.Highlight, "#2f6fa8"),
        (QPalette.ColorRole.HighlightedText, TEXT),
        (QPalette.ColorRole.ToolTipBase, PANEL),
        (QPalette.ColorRole.ToolTipText, TEXT),
        (QPalette.ColorRole.PlaceholderText, FAINT),
    ):
        palette.setColor(role, QColor(value))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(FAINT))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor(FAINT))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(FAINT))
    app.setPalette(palette)
    sheet = STYLE_SHEET
    for key, name in (("{check}", "check"), ("{up}", "arrow-up"), ("{down}", "arrow-down")):
        sheet = sheet.replace(key, asset_path(f"icons/{name}.svg").as_posix())
    app.setStyleSheet(sheet)
