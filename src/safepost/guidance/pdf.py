"""Render a :class:`~safepost.guidance.doc.Doc` as an A4 PDF with fpdf2.

Fonts: DejaVu Sans from Debian's ``fonts-dejavu-core`` when it is installed (any script);
otherwise fpdf2's built-in Helvetica, which covers Latin-1 (so every Spanish letter, ¿ and ¡),
with typographic marks replaced by plain ones and other characters transliterated (anyascii).
Nothing is downloaded and no file is written here: the PDF is returned as bytes.
"""

from __future__ import annotations

from pathlib import Path

from anyascii import anyascii
from fpdf import FPDF

from safepost.guidance.doc import Doc, Heading, Items, Para, Table, plain, spans

_DEJAVU_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_LATIN1_FIXES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "…": "...",
        "•": "-",
        "→": "->",
        "≥": ">=",
        "≤": "<=",
        "☐": "[ ]",
        "\u00a0": " ",
        "\u202f": " ",
    }
)
#: Where to look for DejaVu; tests set it to () to exercise the built-in font.
FONT_DIRS: tuple[Path, ...] = _DEJAVU_DIRS


class _Pdf(FPDF):
    def __init__(self, doc: Doc) -> None:
        super().__init__(format="A4", unit="mm")
        self.unicode = self._add_dejavu()
        self.family = "dejavu" if self.unicode else "helvetica"
        self.mono = "dejavumono" if self.unicode else "courier"
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_title(self.clean(plain(doc.title)))
        self.set_lang(doc.lang)
        self.set_creator("safepost")
        self.set_producer("safepost")
        self.footer_text = self.clean(plain(doc.title))

    def _add_dejavu(self) -> bool:
        for folder in FONT_DIRS:
            files = {
                ("dejavu", ""): folder / "DejaVuSans.ttf",
                ("dejavu", "B"): folder / "DejaVuSans-Bold.ttf",
                ("dejavumono", ""): folder / "DejaVuSansMono.ttf",
            }
            if all(f.is_file() for f in files.values()):
                for (family, style), path in files.items():
                    self.add_font(family, style, str(path))
                return True
        return False

    def clean(self, text: str) -> str:
        if self.unicode:
            return text
        text = text.translate(_LATIN1_FIXES)
        return "".join(ch if ord(ch) < 256 else anyascii(ch) for ch in text)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.set_text_color(120, 120, 120)
        self.cell(0, 5, f"{self.footer_text} - {self.page_no()}", align="C")
        self.set_text_color(0, 0, 0)

    def rich(self, text: str, size: float, height: float, bold: bool = False) -> None:
        """Write marked-up text, wrapping at the current left margin."""
        for span in spans(text):
            family = self.mono if span.code else self.family
            style = "B" if (span.bold or bold) and not span.code else ""
            self.set_font(family, style, size - (0.5 if span.code else 0))
            self.write(height, self.clean(span.text))
        self.ln(height)


def to_pdf(doc: Doc) -> bytes:
    pdf = _Pdf(doc)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.rich(doc.title, 18, 8, bold=True)
    pdf.ln(2)
    for block in doc.blocks:
        if isinstance(block, Heading):
            size = {1: 16, 2: 13.5}.get(block.level, 11.5)
            if pdf.get_y() > pdf.h - 45:
                pdf.add_page()
            pdf.ln(3)
            pdf.rich(block.text, size, size * 0.5, bold=True)
            pdf.ln(1.5)
        elif isinstance(block, Para):
            if block.style == "note":
                pdf.set_text_color(150, 10, 30)
            elif block.style == "meta":
                pdf.set_text_color(90, 90, 90)
            pdf.rich(block.text, 10.5, 5.2)
            pdf.set_text_color(0, 0, 0)
            pdf.ln(2)
        elif isinstance(block, Items):
            for n, item in enumerate(block.items, 1):
                mark = {
                    "bullets": "•" if pdf.unicode else "-",
                    "numbers": f"{n}.",
                    "checklist": "☐" if pdf.unicode else "[ ]",
                }[block.style]
                pdf.set_font(pdf.family, "", 10.5)
                pdf.set_x(pdf.l_margin + 2)
                pdf.cell(7, 5.2, pdf.clean(mark))
                left = pdf.l_margin
                pdf.set_left_margin(left + 9)
                pdf.rich(item, 10.5, 5.2)
                pdf.set_left_margin(left)
                pdf.ln(1)
            pdf.ln(1.5)
        elif isinstance(block, Table):
            pdf.set_font(pdf.family, "", 9.5)
            rows = [block.header, *block.rows]
            weights = [min(max(max(len(plain(r[i])) for r in rows), 8), 40) for i in range(len(block.header))]
            with pdf.table(
                width=width, col_widths=weights, line_height=5, text_align="LEFT", first_row_as_headings=True
            ) as table:
                for row in rows:
                    cells = table.row()
                    for cell in row:
                        cells.cell(pdf.clean(plain(cell)))
            pdf.ln(3)
    return bytes(pdf.output())
