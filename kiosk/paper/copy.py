"""An A4 copy of a signed C.Hasil document: each page of the signed PDF, scaled above a footer
and a QR code (kiosk.chasil.copy_render says what they hold); run in the paper child.

The scanned image goes through untouched (pypdf places the original page's content stream),
so a copy costs the footer, not a re-encoding of a 300 dpi scan.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from kiosk.paper.pdf import new_pdf, pdf_text, watermark

QR_MM = 26  # on A4: about 0.8 mm per module for a version-5 code, easy for any phone
MM = 72 / 25.4  # PDF points per millimetre
A4_PT = (210 * MM, 297 * MM)
SCAN_AREA_MM = (10, 8, 190, 245)  # x, y from the top, width, height of the scanned page


def qr_image(data: str, module_px: int) -> Image.Image:
    import qrcode  # lazy: only copies need it, not the idle web app nor the worker

    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module_px, border=4
    )
    code.add_data(data)
    code.make(fit=True)
    img: Image.Image = code.make_image(fill_color="black", back_color="white").get_image()
    return img.convert("1")


def _footer_overlay(footers: Sequence[Sequence[str]], qr: str, training: bool) -> bytes:
    """One A4 page per document page holding only what the copy adds: footer text, the QR
    code and, in training, SIMULASI. Text stays text (fpdf2), so copies can be checked."""
    pdf, family = new_pdf(embed_font=False)
    pdf.set_auto_page_break(auto=False)
    code = qr_image(qr, 8)
    for lines in footers:
        pdf.add_page()
        if training:
            watermark(pdf, family)
        pdf.set_font(family, "", 8.5)
        pdf.set_xy(10, 258)
        for line in lines:
            pdf.multi_cell(160, 4.5, pdf_text(line, family), new_x="LMARGIN", new_y="NEXT")
        pdf.image(code, x=210 - 10 - QR_MM, y=297 - 8 - QR_MM, w=QR_MM, h=QR_MM)
    buf = io.BytesIO()
    pdf.output(buf)
    return buf.getvalue()


def a4_copy(signed_pdf: Path, footers: Sequence[Sequence[str]], qr: str, training: bool) -> bytes:
    """The copy of ``signed_pdf``: page n above ``footers[n]`` and the QR code of ``qr``."""
    from pypdf import PageObject, PdfReader, PdfWriter, Transformation  # lazy: ~7 MB RSS

    source = PdfReader(signed_pdf)
    overlay = PdfReader(io.BytesIO(_footer_overlay(footers, qr, training)))
    writer = PdfWriter()
    x_mm, top_mm, w_mm, h_mm = SCAN_AREA_MM
    for src, over in zip(source.pages, overlay.pages, strict=True):
        width, height = float(src.mediabox.width), float(src.mediabox.height)
        scale = min(w_mm * MM / width, h_mm * MM / height)
        tx = x_mm * MM + (w_mm * MM - width * scale) / 2
        ty = A4_PT[1] - top_mm * MM - height * scale  # PDF y grows upwards
        page = PageObject.create_blank_page(width=A4_PT[0], height=A4_PT[1])
        page.merge_transformed_page(src, Transformation().scale(scale).translate(tx, ty))
        page.merge_page(over)
        writer.add_page(page)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
