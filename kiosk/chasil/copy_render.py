"""What a printed copy of a signed C.Hasil document looks like, on A4 and on thermal paper.

Every page of a copy carries a footer (TPS, ballot, page n of N, copy k of K and its recipient,
print time with its zone, the document's short hash) and a QR code of the TPS code and the full
SHA-256, so anyone can check a page against the uploaded original; in training SIMULASI runs
across each page. ``kiosk.chasil.copies`` decides which copies to print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from kiosk.chasil.renditions import Turned
from kiosk.chasil.signing import Document
from kiosk.paper import copy as paper_copy
from kiosk.paper.copy import qr_image
from kiosk.profile import Profile
from kiosk.services.report_render import render_receipt, watermark_image

QR_DOTS_PER_MODULE = 4  # on 203 dpi thermal paper: 0.5 mm modules survive the print head
THERMAL_INK_BELOW_PAPER = 28  # grey levels under the paper's that print black on thermal paper


def qr_payload(tps_code: str, doc: Document) -> str:
    return f"TPSKIOSK1|{tps_code}|{doc.ballot}|{doc.pdf_sha256}"


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


def _a4_copy_args(
    profile: Profile, doc: Document, label: CopyLabel
) -> tuple[Path, list[list[str]], str, bool]:
    """What kiosk.paper.copy.a4_copy makes the copy from: plain values, so the paper child
    loads neither the profile nor the document's module."""
    footers = [footer_lines(profile, doc, label, n) for n in range(1, doc.pages + 1)]
    return doc.pdf, footers, qr_payload(profile.identity.code, doc), doc.training


def copy_pdf(profile: Profile, doc: Document, label: CopyLabel) -> bytes:
    """An A4 copy: each page of the signed document PDF, scaled into the page above the footer;
    made in the paper child (kiosk.render_worker), so the web app never loads pypdf nor fpdf2."""
    from kiosk.render_worker import run

    return run(paper_copy.a4_copy, *_a4_copy_args(profile, doc, label))


def make_copy_pdf(profile: Profile, doc: Document, label: CopyLabel) -> bytes:
    """``copy_pdf`` made in this process."""
    return paper_copy.a4_copy(*_a4_copy_args(profile, doc, label))


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
        # It sits just below the page's paper, not at a fixed grey: at 576 dots a pencil stroke
        # is thinner than a dot and averages to a light grey. On a corpus page with paper at
        # 233, pencil digits vanished at a fixed 160, broke up at 190 and printed whole at 205.
        histogram = scaled.histogram()
        paper = max(range(256), key=histogram.__getitem__)
        black_below = paper - THERMAL_INK_BELOW_PAPER
        lut = [255 if v >= black_below else 0 for v in range(256)]
        out.append(scaled.point(lut).convert("1"))
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
