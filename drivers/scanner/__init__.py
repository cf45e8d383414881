"""Scanner protocol.

Adapters: ``sane_adapter.SaneScanner`` (any SANE device through python-sane) and
``fake.FakeScanner`` (renders sample C.Hasil pages with Pillow, for demo and training).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from PIL import Image


class Source(enum.Enum):
    FLATBED = "flatbed"
    ADF = "adf"


class ColorMode(enum.Enum):
    COLOR = "color"
    GRAY = "gray"


@dataclass(frozen=True)
class ScanRequest:
    """One scan: resolution in dots per inch, page size in millimetres (A4 by default), and how
    long one page may take before the scanner counts as lost (seconds, per page: a full feeder
    of sheets is not one deadline)."""

    dpi: int = 300
    mode: ColorMode = ColorMode.GRAY
    source: Source = Source.FLATBED
    width_mm: float = 210.0
    height_mm: float = 297.0
    timeout_s: float = 120.0


class Scanner(Protocol):
    def describe(self) -> str:
        """Return a human-readable model name; raise ScannerNotFound if no device answers."""
        ...

    def scan(self, request: ScanRequest) -> Iterator[Image.Image]:
        """Yield the scanned pages: one for the flatbed, every page in the feeder for the ADF.

        Raises AdfEmpty when the feeder gives no page at all, ScannerJammed, ScannerCoverOpen,
        ScanCancelled, ScannerLost (device gone mid-scan), ScannerNotFound, ScannerBusy.
        """
        ...

    def cancel(self) -> None:
        """Ask a running scan to stop; the scan then raises ScanCancelled."""
        ...
