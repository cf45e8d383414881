"""The distribution receipt of a signed C.Hasil document: who received which copy, to sign.

Each printed copy once, its recipient, the printer that printed it and when, and a line for
the recipient's signature. It is printed in Bahasa Indonesia only, like the copy footer
(``copy_render``), whatever the screen's language; the printers go by the screen's names for
them, from the catalogue ("Printer A4", "Printer struk"). ``kiosk.chasil.copies`` keeps the
print jobs it lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from flask_babel import force_locale

from kiosk.chasil.signing import Document
from kiosk.errors import DEVICE_NAMES, PRINTER_ROLES
from kiosk.paper import pdf as paper_pdf
from kiosk.profile import Profile

RECEIPT_LANGUAGE = "id"


def printer_name(printer: str) -> str:
    """What the receipt calls print target ``printer`` ("a4", "receipt"): the device's name
    in Bahasa Indonesia, as the print step of the screen says it."""
    role = PRINTER_ROLES.get(printer)
    if role is None:
        return printer
    with force_locale(RECEIPT_LANGUAGE):
        return str(DEVICE_NAMES[role])


def receipt_pdf(
    profile: Profile,
    doc: Document,
    jobs: Sequence[Mapping[str, object]],
    made_at: str,
    clock_time: Callable[[object], str],
) -> bytes:
    """The receipt of ``doc``'s printed ``jobs`` (its print jobs in copy order), made at
    ``made_at``; ``clock_time`` shows a job's print time at this TPS ("13:05 WITA").

    Made in the paper child (kiosk.render_worker); the printers' names (in the receipt's
    language) and the times are said here first, as the child has no app to say them."""
    from kiosk.render_worker import run

    said = [
        {
            **job,
            "printer": printer_name(str(job["printer"])),
            "printed_wall": clock_time(job["printed_wall"]),
        }
        for job in jobs
        if job["state"] == "printed"
    ]
    return run(paper_pdf.distribution_receipt, *_receipt_lines(profile, doc, said, made_at))


def _receipt_lines(
    profile: Profile, doc: Document, jobs: Sequence[Mapping[str, object]], made_at: str
) -> tuple[list[str], list[str], bool]:
    """What kiosk.paper.pdf.distribution_receipt prints: its head lines, one line per printed
    copy, and whether it is a training receipt (plain values: the paper child loads neither
    the profile nor the document's module)."""
    tps = profile.identity
    head = [
        f"TPS {tps.code} · {tps.village}, {tps.district}, {tps.regency}",
        f"C.Hasil {doc.ballot} · {doc.pages} halaman · hash {doc.short_hash}",
        f"Dibuat {made_at}",
    ]
    copies = []
    for job in jobs:
        if job["state"] != "printed":
            continue
        mark = " (cetak ulang)" if job["reprint"] else ""
        if job.get("extra"):
            mark = " (salinan kedua, dicetak sebelum pembaruan kios)"
        copies.append(
            f"Salinan {job['copy_no']} dari {job['copies']} · {job['recipient']}"
            f" · {job['printer']} · {job['printed_wall']}{mark}"
        )
    return head, copies, doc.training


def make_receipt_pdf(
    profile: Profile, doc: Document, jobs: Sequence[Mapping[str, object]], made_at: str
) -> bytes:
    """``receipt_pdf`` made in this process, from jobs whose printer and time are said."""
    return paper_pdf.distribution_receipt(*_receipt_lines(profile, doc, jobs, made_at))
