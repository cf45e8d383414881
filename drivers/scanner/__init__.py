"""Scanner protocol.

Adapters: ``sane_adapter.SaneScanner`` (any SANE device through python-sane) and
``fake.FakeScanner`` (renders sample C.Hasil pages with Pillow, for demo and training; it takes
the trainer's verbs of ``SimulatedScanner``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from drivers.errors import ScannerError

if TYPE_CHECKING:  # Pillow loads with the adapter that scans, not with the settings' registry
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
    # The ballot whose C.Hasil sheet the operator means to scan ("PPWP"; "" = none said). A
    # real scanner cannot know what lies on its glass and ignores it; the fake scanner prints
    # that ballot's sample form (unless the trainer made it feed another).
    sheet: str = ""


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


@runtime_checkable
class SimulatedScanner(Protocol):
    """The trainer's verbs on a fake scanner (demo and training only)."""

    def fail_next(self, error: ScannerError, after_pages: int = 0) -> None:
        """Make the next scan raise ``error`` after delivering ``after_pages`` pages."""
        ...

    def clear_fault(self) -> None:
        """Forget a fault set with ``fail_next`` that no scan has met yet."""
        ...

    @property
    def pending_fault(self) -> ScannerError | None:
        """The fault the next scan will meet, if any."""
        ...

    def feed_wrong_sheet(self, wrong: bool = True) -> None:
        """Make the next scan deliver another ballot's sheet than the one asked for (or not)."""
        ...

    @property
    def wrong_sheet_next(self) -> bool:
        """Whether the next scan delivers another ballot's sheet (for the trainer's panel)."""
        ...

    def feed_paper_differs(self, differs: bool = True) -> None:
        """Make the next scan's sheet differ from the sample in one number box (or not)."""
        ...

    @property
    def paper_differs_next(self) -> bool:
        """Whether the next scan's paper differs from the sample (for the trainer's panel)."""
        ...
