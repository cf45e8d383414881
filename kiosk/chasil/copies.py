"""Salinan: one printed copy of a signed C.Hasil document per recipient, and the receipt.

Every copy carries a footer (TPS, ballot, page n of N, copy k of K and its recipient, print
time, the document's short hash) and a QR code of the TPS code and the full SHA-256, so anyone
can check a copy against the uploaded original. Copies are print jobs in SQLite: a printer
error stops the run, and Ulangi prints only the copies not yet printed. A reprint is marked.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image
from pypdf import PageObject, PdfReader, PdfWriter, Transformation

from drivers.errors import PrinterError, PrinterOffline
from kiosk.audit import AuditLog, Event
from kiosk.chasil.documents import Document
from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.devices import Devices
from kiosk.profile import Profile
from kiosk.services.auth import ActiveSession
from kiosk.services.report_render import new_pdf, pdf_text, render_receipt, watermark
from kiosk.storage import write_durably

FIXED_RECIPIENTS = ("Pengawas TPS", "PPS", "PPK (melalui PPS)", "Pengumuman publik")
PRINTERS = ("a4", "receipt")
QR_MM = 26  # on A4: about 0.8 mm per module for a version-5 code, easy for any phone
QR_DOTS_PER_MODULE = 4  # on 203 dpi thermal paper: 0.5 mm modules survive the print head


def qr_payload(tps_code: str, doc: Document) -> str:
    return f"TPSKIOSK1|{tps_code}|{doc.ballot}|{doc.pdf_sha256}"


def qr_image(data: str, module_px: int) -> Image.Image:
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
    """An A4 copy: each page of the signed document PDF, scaled into the page above the footer.

    The scanned image goes through untouched (pypdf places the original page's content stream),
    so a copy costs the footer, not a re-encoding of a 300 dpi scan.
    """
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


def thermal_pages(pages: Sequence[Path], width_px: int) -> list[Image.Image]:
    """The scanned pages as 1-bit images ``width_px`` dots wide; made once per print run."""
    out = []
    for path in pages:
        with Image.open(path) as page:
            grey = page.convert("L")
        # Integer reduce first (a fast box filter), then a small exact resize.
        factor = max(1, grey.width // (width_px * 2))
        if factor > 1:
            grey = grey.reduce(factor)
        scaled = grey.resize(
            (width_px, round(grey.height * width_px / grey.width)), Image.Resampling.BILINEAR
        )
        # A threshold keeps handwriting crisp on thermal paper; dithering would grey it out.
        out.append(scaled.point(lambda v: 255 if v > 160 else 0).convert("1"))
    return out


def copy_receipt_image(
    profile: Profile, doc: Document, pages: Sequence[Image.Image], label: CopyLabel, width_px: int
) -> Image.Image:
    """A thermal copy: each page (from ``thermal_pages``) with its footer, then the QR code."""
    parts: list[Image.Image] = []
    for n, page in enumerate(pages, start=1):
        parts.append(page)
        parts.append(
            render_receipt(
                "", footer_lines(profile, doc, label, n), width_px, training=doc.training
            )
        )
    qr = qr_image(qr_payload(profile.identity.code, doc), QR_DOTS_PER_MODULE)
    strip = Image.new("1", (width_px, qr.height), 1)
    strip.paste(qr, ((width_px - qr.width) // 2, 0))
    parts.append(strip)
    out = Image.new("1", (width_px, sum(p.height for p in parts)), 1)
    y = 0
    for part in parts:
        out.paste(part, (0, y))
        y += part.height
    return out


class CopyService:
    def __init__(
        self, db: Database, audit: AuditLog, clock: Clock, devices: Devices, profile: Profile
    ) -> None:
        self.db = db
        self.audit = audit
        self.clock = clock
        self.devices = devices
        self.profile = profile
        self._thermal: tuple[int, list[Image.Image]] | None = None  # pages decoded for a run

    # Recipients --------------------------------------------------------------------------------
    def recipients(self) -> list[dict[str, object]]:
        if not self.db.read("SELECT 1 FROM recipient LIMIT 1"):
            self._default_recipients()
        return [dict(r) for r in self.db.read("SELECT * FROM recipient ORDER BY position")]

    def _default_recipients(self) -> None:
        """Saksi of every candidate pair or party on the widest ballot (ticked on the day as
        they are present), then the fixed recipients."""
        widest = self.profile.ballots[0]
        names = [p.name for p in widest.parties] or list(widest.candidates)
        with self.db.write() as conn:
            for n, name in enumerate(names):
                conn.execute(
                    "INSERT OR IGNORE INTO recipient (name, present, position) VALUES (?, 0, ?)",
                    (f"Saksi {name}", n),
                )
            for n, name in enumerate(FIXED_RECIPIENTS, start=len(names)):
                conn.execute(
                    "INSERT OR IGNORE INTO recipient (name, present, position) VALUES (?, 1, ?)",
                    (name, n),
                )

    def set_present(self, recipient_id: int, present: bool) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE recipient SET present = ? WHERE id = ?", (int(present), recipient_id)
            )

    # Jobs --------------------------------------------------------------------------------------
    def jobs(self, doc: Document) -> list[dict[str, object]]:
        return [
            dict(r)
            for r in self.db.read(
                "SELECT * FROM print_job WHERE document_id = ? ORDER BY id", (doc.id,)
            )
        ]

    def _plan(self, doc: Document, printer: str) -> None:
        if self.db.read(
            "SELECT 1 FROM print_job WHERE document_id = ? AND printer = ? AND reprint = 0",
            (doc.id, printer),
        ):
            return
        names = [str(r["name"]) for r in self.recipients() if r["present"]]
        with self.db.write() as conn:
            for k, name in enumerate(names, start=1):
                conn.execute(
                    "INSERT INTO print_job (document_id, copy_no, copies, recipient,"
                    " printer, state) VALUES (?, ?, ?, ?, ?, 'pending')",
                    (doc.id, k, len(names), name, printer),
                )

    def print_copies(
        self, doc: Document, pages: Sequence[Path], printer: str, by: ActiveSession
    ) -> int:
        """Print every copy not yet printed; return how many were printed now. A printer error
        marks that copy failed and propagates; the next call resumes from it."""
        if printer not in PRINTERS:
            raise ValueError(printer)
        self._plan(doc, printer)
        pending = self.db.read(
            "SELECT * FROM print_job WHERE document_id = ? AND printer = ?"
            " AND state != 'printed' ORDER BY id",
            (doc.id, printer),
        )
        for job in pending:
            self._print_job(doc, pages, dict(job), by)
        return len(pending)

    def reprint(self, doc: Document, pages: Sequence[Path], job_id: int, by: ActiveSession) -> None:
        original = self.db.read(
            "SELECT * FROM print_job WHERE id = ? AND document_id = ?", (job_id, doc.id)
        )
        if not original:
            raise KeyError(job_id)
        o = original[0]
        with self.db.write() as conn:
            cur = conn.execute(
                "INSERT INTO print_job (document_id, copy_no, copies, recipient,"
                " printer, state, reprint) VALUES (?, ?, ?, ?, ?, 'pending', 1)",
                (doc.id, o["copy_no"], o["copies"], o["recipient"], o["printer"]),
            )
            new_id = cur.lastrowid
        self.audit.record_for(
            Event.REPRINT,
            by,
            document=doc.id,
            copy=o["copy_no"],
            recipient=o["recipient"],
        )
        job = self.db.read("SELECT * FROM print_job WHERE id = ?", (new_id,))[0]
        self._print_job(doc, pages, dict(job), by)

    def _print_job(
        self, doc: Document, pages: Sequence[Path], job: dict[str, object], by: ActiveSession
    ) -> None:
        label = CopyLabel(
            int(str(job["copy_no"])),
            int(str(job["copies"])),
            str(job["recipient"]),
            self.clock.now().strftime("%d-%m-%Y %H:%M"),
            bool(job["reprint"]),
        )
        try:
            if job["printer"] == "a4":
                if self.devices.document_printer is None:
                    raise PrinterOffline("no A4 printer configured")
                path = doc.folder / "copies" / f"salinan-{job['id']:04d}.pdf"
                write_durably(path, copy_pdf(self.profile, doc, label))
                self.devices.document_printer.print_pdf(
                    path, f"salinan {doc.ballot} {label.copy_no}/{label.copies}"
                )
            else:
                if self.devices.receipt_printer is None:
                    raise PrinterOffline("no receipt printer configured")
                printer = self.devices.receipt_printer
                if self._thermal is None or self._thermal[0] != doc.id:
                    self._thermal = (doc.id, thermal_pages(pages, printer.width_px))
                printer.print_image(
                    copy_receipt_image(self.profile, doc, self._thermal[1], label, printer.width_px)
                )
        except PrinterError as exc:
            with self.db.write() as conn:
                conn.execute(
                    "UPDATE print_job SET state = 'failed', error = ? WHERE id = ?",
                    (type(exc).__name__, job["id"]),
                )
            self.audit.record_for(
                Event.PRINT_FAILED,
                by,
                document=doc.id,
                copy=label.copy_no,
                error=type(exc).__name__,
            )
            raise
        with self.db.write() as conn:
            conn.execute(
                "UPDATE print_job SET state = 'printed', error = '', printed_wall = ? WHERE id = ?",
                (self.clock.now().isoformat(), job["id"]),
            )
        self.audit.record_for(
            Event.PRINT,
            by,
            document=doc.id,
            copy=label.copy_no,
            copies=label.copies,
            recipient=label.recipient,
            printer=str(job["printer"]),
            reprint=label.reprint,
        )

    # Distribution receipt ----------------------------------------------------------------------
    def receipt_pdf(self, doc: Document) -> Path:
        """The distribution receipt: each copy, its recipient and a line to sign; kept in the
        document's folder."""
        tps = self.profile.identity
        pdf, family = new_pdf()
        pdf.add_page()
        if doc.training:
            watermark(pdf, family)
        pdf.set_font(family, "B", 14)
        pdf.multi_cell(0, 8, "Tanda terima salinan C.Hasil", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 10)
        for line in (
            f"TPS {tps.code} · {tps.village}, {tps.district}, {tps.regency}",
            f"C.Hasil {doc.ballot} · {doc.pages} halaman · hash {doc.short_hash}",
            f"Dibuat {self.clock.now().strftime('%d-%m-%Y %H:%M')}",
        ):
            pdf.multi_cell(0, 6, pdf_text(line, family), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        for job in self.jobs(doc):
            if job["state"] != "printed":
                continue
            mark = " (cetak ulang)" if job["reprint"] else ""
            text = (
                f"Salinan {job['copy_no']} dari {job['copies']} · {job['recipient']}{mark}"
                f" · {str(job['printed_wall'])[11:16]}"
            )
            pdf.multi_cell(0, 7, pdf_text(text, family), new_x="LMARGIN", new_y="NEXT")
            pdf.multi_cell(
                0,
                10,
                "Tanda tangan penerima: ______________________",
                new_x="LMARGIN",
                new_y="NEXT",
            )
        buf = io.BytesIO()
        pdf.output(buf)
        path = doc.folder / "tanda-terima.pdf"
        write_durably(path, buf.getvalue())
        return path
