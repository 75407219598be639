"""Printable Chinese PDF documents (reports, consent forms) with ReportLab and an embedded CJK TrueType font.

- The WenQuanYi Micro Hei font (`fonts-wqy-microhei`, installed by `make install`) is registered once per
  process and embedded as a subset, with a ToUnicode map: the text can be extracted (pypdf, pdftotext) and the
  document prints the same everywhere. Noto CJK ships CFF outlines, which ReportLab refuses.
- `build_pdf` lays out an A4 story with a running header (hospital name, document title) and a footer
  "第 x 页 / 共 y 页", and is deterministic: ReportLab's `invariant` mode fixes the creation date and the
  document id, so the same story gives the same bytes (tests compare them; a stored document's hash is stable).
- Helpers build paragraphs (escaped, CJK line breaking), key/value grids and data tables whose header row
  repeats when a long table breaks across pages.

Text passed to the helpers is plain text, never markup: it is escaped, and characters the font has no glyph
for are replaced by an equivalent the font has (so nothing prints as an empty box and extraction stays right).
"""

from __future__ import annotations

import threading
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT_NAME = "WenQuanYiMicroHei"
PAGE_SIZE = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 18 * mm
CONTENT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN_X

GRID_COLOUR = colors.HexColor("#9aa5b1")
HEADER_FILL = colors.HexColor("#e6ecf2")
ALERT_COLOUR = colors.HexColor("#b3261e")
MUTED_COLOUR = colors.HexColor("#52606d")

# Equivalents for symbols WenQuanYi Micro Hei has no glyph for (checked against its cmap at use).
GLYPH_FALLBACKS = {
    "☐": "□", "☑": "■", "☒": "■", "✔": "✓", "✗": "×", "✘": "×", "⇧": "↑", "⇩": "↓", "⬆": "↑", "⬇": "↓",
    "\u00a0": " ", "\u200b": "", "\ufeff": "",
}
MISSING_GLYPH = "□"


class PdfFontMissing(RuntimeError):
    """The CJK font file is not installed; Chinese text cannot be embedded."""


_lock = threading.Lock()
_registered_font: TTFont | None = None


def font_path() -> Path:
    return Path(getattr(settings, "PDF_CJK_FONT_PATH", "") or DEFAULT_FONT_PATH)


def register_cjk_font() -> str:
    """Register the CJK font with ReportLab once per process; returns its name."""
    global _registered_font
    if _registered_font is not None:
        return FONT_NAME
    with _lock:
        if _registered_font is None:
            path = font_path()
            if not path.is_file():
                raise PdfFontMissing(
                    f"CJK font not found at {path}: install the fonts-wqy-microhei package (make install) "
                    f"or set PDF_CJK_FONT_PATH to a TrueType font with Chinese glyphs"
                )
            font = TTFont(FONT_NAME, str(path), subfontIndex=0)
            pdfmetrics.registerFont(font)
            # The font has no bold/italic faces: map them to itself so <b> markup never fails.
            pdfmetrics.registerFontFamily(FONT_NAME, normal=FONT_NAME, bold=FONT_NAME, italic=FONT_NAME,
                                          boldItalic=FONT_NAME)
            _registered_font = font
    return FONT_NAME


def has_glyph(char: str) -> bool:
    register_cjk_font()
    return ord(char) in _registered_font.face.charToGlyph


def printable(text) -> str:
    """`text` as a string the embedded font can draw: symbols without a glyph become an equivalent one."""
    if text is None:
        return ""
    text = str(text)
    register_cjk_font()
    glyphs = _registered_font.face.charToGlyph
    out = []
    for char in text:
        if char in "\n\t" or ord(char) in glyphs:
            out.append(char)
            continue
        substitute = GLYPH_FALLBACKS.get(char)
        if substitute is not None and all(ord(c) in glyphs for c in substitute):
            out.append(substitute)
        elif ord(char) < 32:
            continue  # other control characters: dropped
        else:
            out.append(MISSING_GLYPH)
    return "".join(out)


def markup(text) -> str:
    """Plain text → Paragraph markup: escaped, glyph-checked, line breaks kept."""
    return escape(printable(text)).replace("\n", "<br/>")


_styles: dict[str, ParagraphStyle] | None = None


def styles() -> dict[str, ParagraphStyle]:
    """The Chinese paragraph styles (CJK line breaking: a line may break between any two Han characters)."""
    global _styles
    if _styles is None:
        font = register_cjk_font()
        base = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK", alignment=TA_LEFT)
        _styles = {
            "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=TA_CENTER,
                                    spaceAfter=4 * mm),
            "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, leading=14, alignment=TA_CENTER,
                                       textColor=MUTED_COLOUR, spaceAfter=3 * mm),
            "section": ParagraphStyle("section", parent=base, fontSize=12.5, leading=18, spaceBefore=4 * mm,
                                      spaceAfter=2 * mm, textColor=colors.HexColor("#1f3a5f")),
            "body": base,
            "clause": ParagraphStyle("clause", parent=base, fontSize=10.5, leading=17, firstLineIndent=21,
                                     spaceAfter=1.5 * mm),
            "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12, textColor=MUTED_COLOUR),
            "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12.5),
            "cell_head": ParagraphStyle("cell_head", parent=base, fontSize=9, leading=12.5),
            "cell_alert": ParagraphStyle("cell_alert", parent=base, fontSize=9, leading=12.5,
                                         textColor=ALERT_COLOUR),
            "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        }
    return _styles


def para(text, style: str = "body") -> Paragraph:
    return Paragraph(markup(text), styles()[style])


def heading(text) -> Paragraph:
    return para(text, "section")


def spacer(height_mm: float = 3) -> Spacer:
    return Spacer(1, height_mm * mm)


def _cell(value, style="cell"):
    if isinstance(value, Paragraph | Table):
        return value
    return para(value, style)


def data_table(header: list, rows: list[list], *, col_widths: list[float] | None = None,
               alert_rows: set[int] | frozenset = frozenset(), alert_cols: set[int] | frozenset = frozenset(),
               empty_text: str = "无") -> Table:
    """A grid whose header row repeats on every page the table spans. `col_widths` are fractions of the
    content width (or None for equal columns). Cells listed in `alert_rows` × `alert_cols` (or the whole
    row when `alert_cols` is empty) print in the alert colour (abnormal results)."""
    if not rows:
        rows = [[empty_text] + [""] * (len(header) - 1)]
    fractions = col_widths or [1 / len(header)] * len(header)
    widths = [CONTENT_WIDTH * f for f in fractions]
    body = [[_cell(h, "cell_head") for h in header]]
    for r, row in enumerate(rows):
        body.append([
            _cell(v, "cell_alert" if r in alert_rows and (not alert_cols or c in alert_cols) else "cell")
            for c, v in enumerate(row)
        ])
    # splitInRow: a cell taller than a page (a long PACS conclusion) continues on the next page instead of failing
    # the whole document with a LayoutError.
    table = Table(body, colWidths=widths, repeatRows=1, splitByRow=1, splitInRow=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOUR),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def key_value_table(pairs: list[tuple[str, str]], *, columns: int = 2) -> Table:
    """Label/value pairs laid out `columns` pairs per row (patient details, procedure)."""
    cells = []
    row = []
    for label, value in pairs:
        row.extend([para(label, "cell_head"), _cell(value)])
        if len(row) == 2 * columns:
            cells.append(row)
            row = []
    if row:
        row.extend([""] * (2 * columns - len(row)))
        cells.append(row)
    label_w, value_w = 0.13, (1 - 0.13 * columns) / columns
    widths = [CONTENT_WIDTH * (label_w if i % 2 == 0 else value_w) for i in range(2 * columns)]
    table = Table(cells or [[""] * 2 * columns], colWidths=widths, splitByRow=1, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOUR),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    style += [("BACKGROUND", (c, 0), (c, -1), HEADER_FILL) for c in range(0, 2 * columns, 2)]
    table.setStyle(TableStyle(style))
    return table


def bullet_list(items: list[str], *, style: str = "body", empty_text: str = "无") -> list[Paragraph]:
    items = [i for i in (items or []) if str(i).strip()]
    if not items:
        return [para(empty_text, style)]
    return [Paragraph(f"{n}. {markup(item)}", styles()[style]) for n, item in enumerate(items, 1)]


def _page_canvas(header_left: str, header_right: str, footer_left: str):
    """A canvas that holds every page until the end so each footer can say "第 x 页 / 共 y 页"."""
    font = register_cjk_font()
    left, right, left_foot = printable(header_left), printable(header_right), printable(footer_left)

    class PagedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._held_pages = []

        def showPage(self):
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._held_pages)
            for number, state in enumerate(self._held_pages, 1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number, total):
            width, height = self._pagesize
            self.saveState()
            self.setFont(font, 9)
            self.setFillColor(MUTED_COLOUR)
            top = height - MARGIN_TOP + 6 * mm
            self.drawString(MARGIN_X, top, left)
            self.drawRightString(width - MARGIN_X, top, right)
            self.setStrokeColor(GRID_COLOUR)
            self.setLineWidth(0.6)
            self.line(MARGIN_X, top - 2 * mm, width - MARGIN_X, top - 2 * mm)
            bottom = MARGIN_BOTTOM - 9 * mm
            self.line(MARGIN_X, bottom + 4 * mm, width - MARGIN_X, bottom + 4 * mm)
            if left_foot:
                self.drawString(MARGIN_X, bottom, left_foot)
            self.drawRightString(width - MARGIN_X, bottom, f"第 {number} 页 / 共 {total} 页")
            self.restoreState()

    return PagedCanvas


def build_pdf(story: list, *, title: str, author: str, hospital_name: str = "", subject: str = "",
              footer_text: str = "") -> bytes:
    """Lay out `story` (platypus flowables) on A4 and return the PDF bytes.

    Deterministic: the same story and arguments give byte-identical output (invariant mode: fixed creation
    date and document id; the font subset is named from its content). `hospital_name` and `title` head every
    page; `footer_text` (e.g. the document number) prints left of the page number.
    """
    register_cjk_font()
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=PAGE_SIZE, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=printable(title), author=printable(author),
        subject=printable(subject), creator="day-surgery platform", producer="ReportLab", invariant=1,
        initialFontName=FONT_NAME,
    )
    doc.build(list(story), canvasmaker=_page_canvas(hospital_name, title, footer_text))
    return buffer.getvalue()
