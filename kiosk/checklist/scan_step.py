"""The checklist's ``scan`` step: one page from the scanner, kept with its hash.

The page is scanned in gray at the ``scanner_dpi`` setting (the resolution of every scan of the
kiosk) and written durably as ``<step id>.png`` in the day's checklist folder; the checklist
records the file and its SHA-256.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from drivers.errors import ScannerNotFound
from drivers.scanner import ColorMode, Scanner, ScanRequest
from kiosk.checklist.refusals import ChecklistCode
from kiosk.refusals import Refused
from kiosk.storage import write_durably


@dataclass(frozen=True)
class ScanStep:
    """The scanner (None: not configured), its resolution in dots per inch and the folder the
    pages are kept in (given by wiring)."""

    scanner: Scanner | None
    dpi: int
    folder: Path

    def scan(self, step_id: str) -> dict[str, str]:
        """Scan one page for step ``step_id``: ``{"file": path, "sha256": hex}``.

        Raises ScannerNotFound without a scanner, and the scanner's own errors (the error
        screen guides the officer)."""
        if self.scanner is None:
            raise ScannerNotFound("no scanner configured")
        pages = self.scanner.scan(ScanRequest(dpi=self.dpi, mode=ColorMode.GRAY))
        page = next(iter(pages), None)
        if page is None:  # the protocol raises AdfEmpty instead; never keep an empty record
            raise Refused(ChecklistCode.SCAN_MISSING)
        buf = io.BytesIO()
        page.save(buf, format="PNG")
        path = self.folder / f"{step_id}.png"
        return {"file": str(path), "sha256": write_durably(path, buf.getvalue())}
