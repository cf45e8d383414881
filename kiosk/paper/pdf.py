"""A4 text PDFs with fpdf2 (reports, the distribution receipt) and the signed document's PDF of
scanned pages (img2pdf, pypdf); run in the paper child (kiosk.render_worker).

fpdf2 adds about 22 MB RSS, img2pdf (with pikepdf) and pypdf about 7 MB each: a process keeps
them once loaded, so they are imported where they are used, and only the child uses them.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
TRAINING_MARK = "SIMULASI"


def new_pdf(embed_font: bool = True) -> tuple[FPDF, str]:
    """An A4 fpdf2 document and the font family to use. ``embed_font=False`` uses the PDF core
    font (Latin-1 only, nothing to embed: about 0.1 s faster per document)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    if embed_font and DEJAVU.exists():
        pdf.add_font("dejavu", "", str(DEJAVU))
        pdf.add_font("dejavu", "B", str(DEJAVU_BOLD))
        return pdf, "dejavu"
    return pdf, "helvetica"


def pdf_text(text: str, family: str) -> str:
    # The core PDF fonts only know Latin-1; keep the text readable rather than failing.
    if family == "helvetica":
        return text.replace("—", "-").encode("latin-1", "replace").decode("latin-1")
    return text


def watermark(pdf: FPDF, family: str) -> None:
    """SIMULASI across the current A4 page, diagonal, light enough to read the page through."""
    with pdf.local_context(fill_opacity=0.2, text_color=(200, 0, 0)):
        pdf.set_font(family, "B", 80)
        with pdf.rotation(45, x=105, y=150):
            pdf.text(35, 175, TRAINING_MARK)


def _output(pdf: FPDF) -> bytes:
    buf = io.BytesIO()
    pdf.output(buf)
    return buf.getvalue()


def report(title: str, lines: Sequence[str], training: bool = False) -> bytes:
    """An A4 PDF with the title and one paragraph per line; SIMULASI across each page."""
    pdf, family = new_pdf()
    pdf.add_page()
    if training:
        watermark(pdf, family)
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(0, 9, pdf_text(title, family), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, "", 11)
    for line in lines:
        pdf.multi_cell(0, 6, pdf_text(line, family), new_x="LMARGIN", new_y="NEXT")
    return _output(pdf)


def distribution_receipt(head: Sequence[str], copies: Sequence[str], training: bool) -> bytes:
    """The distribution receipt (kiosk.chasil.copy_receipt says its lines): the ``head``
    lines under its title, then each copy's line with a line for the recipient's signature."""
    pdf, family = new_pdf()
    pdf.add_page()
    if training:
        watermark(pdf, family)
    pdf.set_font(family, "B", 14)
    pdf.multi_cell(0, 8, "Tanda terima salinan C.Hasil", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    for line in head:
        pdf.multi_cell(0, 6, pdf_text(line, family), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for text in copies:
        pdf.multi_cell(0, 7, pdf_text(text, family), new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(
            0,
            10,
            "Tanda tangan penerima: ______________________",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return _output(pdf)


def images_pdf(images: list[bytes], turns: list[int], made: dt.datetime) -> bytes:
    """One PDF page per image, the images embedded as they are, each turned about its page's
    centre by its ``turns`` (renditions.straighten_centideg; the page keeps the image's size,
    so the corners a turn moves out are cut, as the margins of a straightened scan would be).
    The PDF's dates are ``made`` (the kiosk's clock, as the manifest's ``created``), so the
    same pages make the same bytes (img2pdf would write the machine's time to the second).
    kiosk.chasil.signing runs it in the paper child: img2pdf loads pikepdf, and the turn pypdf."""
    import img2pdf

    pdf = bytes(img2pdf.convert(images, creationdate=made, moddate=made))
    if not any(turns):
        return pdf
    from pypdf import PdfReader, PdfWriter, Transformation

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page, turn in zip(writer.pages, turns, strict=True):
        if turn:
            box = page.mediabox
            cx, cy = float(box.left + box.right) / 2, float(box.bottom + box.top) / 2
            page.add_transformation(
                Transformation().translate(-cx, -cy).rotate(turn / 100).translate(cx, cy)
            )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
