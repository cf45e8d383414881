"""What a printed copy of a signed C.Hasil document looks like, on A4 and on thermal paper.

Every page of a copy carries a footer (TPS, ballot, page n of N, copy k of K and its recipient,
print time with its zone, the document's short hash) and a QR code of the TPS code and the full
SHA-256, so anyone can check a page against the uploaded original; in training SIMULASI runs
across each page. ``kiosk.chasil.copies`` decides which copies to print.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from kiosk.chasil.renditions import Turned
from kiosk.chasil.signing import Document
from kiosk.profile import Profile
from kiosk.services.report_render import (
    new_pdf,
    pdf_text,
    render_receipt,
    watermark,
    watermark_image,
)

QR_MM = 26  # on A4: about 0.8 mm per module for a version-5 code, easy for any phone
QR_DOTS_PER_MODULE = 4  # on 203 dpi thermal paper: 0.5 mm modules survive the print head


def qr_payload(tps_code: str, doc: Document) -> str:
    return f"TPSKIOSK1|{tps_code}|{doc.ballot}|{doc.pdf_sha256}"


def qr_image(data: str, module_px: int) -> Image.Image:
    import qrcode  # lazy: only copies need it, not the idle web app nor the worker

    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module_px, border=4
    )
    code.add_data(data)
    code.make(fit=True)
    img: Image.Image = code.make_image(fill_color="black", back_color="white").get_image()
    return img.convert("1")


@dataclass(frozen=True)
class CopyLabel:
    copy_no: int
    copies: int
    recipient: str
    printed_at: str
    reprint: bool


def footer_lines(profile: Profile, doc: Document, label: CopyLabel, page: int) -> list[str]:
    tps = profile.identity
    mark = " - CETAK ULANG" if label.reprint else ""
    return [
        f"TPS {tps.code} · {tps.village}, {tps.district}, {tps.regency}, {tps.province}",
        f"C.Hasil {doc.ballot} · Halaman {page} dari {doc.pages} · "
        f"Salinan {label.copy_no} dari {label.copies} untuk {label.recipient}{mark}",
        f"Dicetak {label.printed_at} · Hash dokumen {doc.short_hash}",
    ]


MM = 72 / 25.4  # PDF points per millimetre
A4_PT = (210 * MM, 297 * MM)
SCAN_AREA_MM = (10, 8, 190, 245)  # x, y from the top, width, height of the scanned page


def _footer_overlay(profile: Profile, doc: Document, label: CopyLabel) -> bytes:
    """One A4 page per document page holding only what the copy adds: footer text, the QR
    code and, in training, SIMULASI. Text stays text (fpdf2), so copies can be checked."""
    pdf, family = new_pdf(embed_font=False)
    pdf.set_auto_page_break(auto=False)
    qr = qr_image(qr_payload(profile.identity.code, doc), 8)
    for n in range(1, doc.pages + 1):
        pdf.add_page()
        if doc.training:
            watermark(pdf, family)
        pdf.set_font(family, "", 8.5)
        pdf.set_xy(10, 258)
        for line in footer_lines(profile, doc, label, n):
            pdf.multi_cell(160, 4.5, pdf_text(line, family), new_x="LMARGIN", new_y="NEXT")
        pdf.image(qr, x=210 - 10 - QR_MM, y=297 - 8 - QR_MM, w=QR_MM, h=QR_MM)
    buf = io.BytesIO()
    pdf.output(buf)
    return buf.getvalue()


def copy_pdf(profile: Profile, doc: Document, label: CopyLabel) -> bytes:
    """An A4 copy: each page of the signed document PDF, scaled into the page above the footer;
    made in the paper child (kiosk.render_worker), so the web app never loads pypdf nor fpdf2."""
    from kiosk.render_worker import run

    return run(make_copy_pdf, profile, doc, label)


def make_copy_pdf(profile: Profile, doc: Document, label: CopyLabel) -> bytes:
    """``copy_pdf`` made in this process.

    The scanned image goes through untouched (pypdf places the original page's content stream),
    so a copy costs the footer, not a re-encoding of a 300 dpi scan.
    """
    from pypdf import PageObject, PdfReader, PdfWriter, Transformation  # lazy: ~20 MB RSS

    source = PdfReader(doc.pdf)
    overlay = PdfReader(io.BytesIO(_footer_overlay(profile, doc, label)))
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


def thermal_pages(pages: Sequence[Turned], width_px: int) -> list[Image.Image]:
    """The scanned pages as 1-bit images ``width_px`` dots wide, each turned straight as the
    signed PDF shows it; made once per print run."""
    out = []
    for path, turn in pages:
        with Image.open(path) as page:
            grey = page.convert("L")
        # Integer reduce first (a fast box filter), then a small exact resize.
        factor = max(1, grey.width // (width_px * 2))
        if factor > 1:
            grey = grey.reduce(factor)
        scaled = grey.resize(
            (width_px, round(grey.height * width_px / grey.width)), Image.Resampling.BILINEAR
        )
        if turn:  # at 576 dots, a turn costs a millisecond (at 200 dpi it cost 20 ms a page)
            scaled = scaled.rotate(turn / 100, Image.Resampling.BILINEAR, fillcolor=255)
        # A threshold keeps handwriting crisp on thermal paper; dithering would grey it out.
        out.append(scaled.point(lambda v: 255 if v > 160 else 0).convert("1"))
    return out


def thermal_copy_pages(
    profile: Profile, doc: Document, pages: Sequence[Image.Image], label: CopyLabel, width_px: int
) -> list[Image.Image]:
    """Each page of a thermal copy (pages from ``thermal_pages``): the scan (SIMULASI across it
    in training), its footer, then the QR code, so a page torn off the roll still proves
    where it came from."""
    qr = qr_image(qr_payload(profile.identity.code, doc), QR_DOTS_PER_MODULE)
    strip = Image.new("1", (width_px, qr.height), 1)
    strip.paste(qr, ((width_px - qr.width) // 2, 0))
    out = []
    for n, page in enumerate(pages, start=1):
        scan = watermark_image(page) if doc.training else page
        footer = render_receipt(
            "", footer_lines(profile, doc, label, n), width_px, training=doc.training
        )
        parts = (scan, footer, strip)
        section = Image.new("1", (width_px, sum(p.height for p in parts)), 1)
        y = 0
        for part in parts:
            section.paste(part, (0, y))
            y += part.height
        out.append(section)
    return out


def copy_receipt_image(
    profile: Profile, doc: Document, pages: Sequence[Image.Image], label: CopyLabel, width_px: int
) -> Image.Image:
    """A thermal copy: its pages (``thermal_copy_pages``) one after the other on the roll."""
    sections = thermal_copy_pages(profile, doc, pages, label, width_px)
    out = Image.new("1", (width_px, sum(p.height for p in sections)), 1)
    y = 0
    for section in sections:
        out.paste(section, (0, y))
        y += section.height
    return out
