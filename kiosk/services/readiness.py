"""The readiness check: every configured device, the clock, the disk and the data directory.

Run by the self-test (kiosk.services.selftest, which keeps the reports). Each check returns a
CheckResult; the report is ready when every *required* check passed. Failures keep the error
object so the screen can show the operator guidance for it.

What came back is a detail code with its values (``code``, ``params``: "free_space",
``{"mib": 5120}``), worded for the screen and the paper in the current language by
kiosk.services.selftest; ``detail`` is the same in plain English for the technician's log (and is
all that reports stored before the codes carry).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.errors import DeviceError
from drivers.gpio import Led, LedState
from drivers.printer import DocumentPrinter, PrinterStatus, ReceiptPrinter
from drivers.scanner import ColorMode, ScanRequest
from kiosk.db import Database
from kiosk.devices import Devices
from kiosk.errors import DatabaseCorrupt, KioskError
from kiosk.storage import write_durably
from kiosk.storage_faults import storage_fault

log = logging.getLogger(__name__)

# A clock before this date is certainly wrong (a Pi without RTC boots at its last saved time or
# at 1970); it is the date of this release's schema, moved forward with each release.
CLOCK_NOT_BEFORE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CLOCK_NOT_AFTER = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)

# Checks that are always required: without them nothing the kiosk does can be kept.
ALWAYS_REQUIRED = frozenset({"data_dir", "database", "disk"})

DEVICE_CHECKS = ("scanner", "receipt_printer", "document_printer", "card_reader", "panel")


Explain = Callable[[BaseException], str]
Detail = tuple[str, dict[str, object]]  # (code, values)

# The technician's English for each detail code (the screen's words: kiosk.services.selftest).
DETAIL_TEXT = {
    "writable": "{path} writable",
    "database_ok": "{file}: ok",
    "free_space": "{mib} MiB free",
    "clock": "{time}",
    "test_scan": "{model}; test scan {width}x{height} px at {dpi} dpi",
    "receipt_ready": "{state}; {dots} dots wide",
    "receipt_printed": "{state}; {dots} dots wide; test receipt printed",
    "a4_ready": "{state} {detail}",
    "a4_printed": "{state}; test page printed (job {job})",
    "card_reader": "{model}",
    "panel": "LEDs on BCM {leds}, buzzer {buzzer}, button {button}",
    "title_reader": "Tesseract {version} with the Indonesian model",
    "not_configured": "not configured",
    "failed": "{error}",
}


def detail_text(code: str, params: dict[str, object]) -> str:
    return DETAIL_TEXT[code].format(**params).strip()


@dataclass
class CheckResult:
    name: str
    ok: bool
    required: bool
    detail: str  # for technicians: what was checked and what came back
    error: BaseException | None = field(default=None, repr=False)
    configured: bool = True
    code: str = ""  # what came back, worded on screen (DETAIL_TEXT's keys)
    params: dict[str, object] = field(default_factory=dict)

    def to_json(self, explain: Explain | None = None) -> dict[str, object]:
        doc: dict[str, object] = {
            "name": self.name,
            "ok": self.ok,
            "required": self.required,
            "configured": self.configured,
            "detail": self.detail,
            "code": self.code,
            "params": self.params,
            "error": type(self.error).__name__ if self.error else None,
        }
        if explain is not None and self.error is not None:
            doc["message"] = explain(self.error)
        return doc


@dataclass
class Report:
    created: dt.datetime
    checks: list[CheckResult]

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks if c.required)

    def to_json(self, explain: Explain | None = None) -> dict[str, Any]:
        """The report as JSON; ``explain`` adds an operator message to each failed check."""
        return {
            "created": self.created.isoformat(timespec="seconds"),
            "ready": self.ready,
            "checks": [c.to_json(explain) for c in self.checks],
        }


@dataclass(frozen=True)
class SelftestContext:
    devices: Devices
    db: Database
    data_dir: Path
    min_free_mb: int
    required: frozenset[str]
    test_print: bool = False  # also print a test receipt/page on each printer
    # The system clock, whose plausibility the clock check judges ...
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    # ... and the kiosk's (with the Ketua's correction), which times the report and is shown.
    kiosk_now: Callable[[], dt.datetime] | None = None

    def shown_now(self) -> dt.datetime:
        return (self.kiosk_now or self.now)()


def _scanner(ctx: SelftestContext) -> Detail:
    scanner = ctx.devices.scanner
    assert scanner is not None
    model = scanner.describe()
    # 75 dpi grey: enough to prove the whole path works, quick on every scanner.
    pages = list(scanner.scan(ScanRequest(dpi=75, mode=ColorMode.GRAY)))
    if not pages:
        raise DeviceError("test scan returned no page")
    w, h = pages[0].size
    return "test_scan", {"model": model, "width": w, "height": h, "dpi": 75}


def _receipt_printer(ctx: SelftestContext) -> Detail:
    from kiosk.services.report_render import test_receipt

    printer = ctx.devices.receipt_printer
    assert printer is not None

    def test() -> dict[str, object]:
        printer.print_image(test_receipt(printer.width_px))
        return {"dots": printer.width_px}

    return _printer(ctx, printer, "receipt", lambda status: {"dots": printer.width_px}, test)


def _document_printer(ctx: SelftestContext) -> Detail:
    from kiosk.services.report_render import test_page_pdf

    printer = ctx.devices.document_printer
    assert printer is not None

    def test() -> dict[str, object]:
        pdf = ctx.data_dir / "tmp" / "test-page.pdf"
        write_durably(pdf, test_page_pdf())
        return {"job": printer.print_pdf(pdf, "TPS Kiosk test page")}

    return _printer(ctx, printer, "a4", lambda status: {"detail": status.detail}, test)


def _printer(
    ctx: SelftestContext,
    printer: ReceiptPrinter | DocumentPrinter,
    kind: str,
    ready: Callable[[PrinterStatus], dict[str, object]],
    test: Callable[[], dict[str, object]],
) -> Detail:
    """Either printer's check: its status must say ready; with ``test_print`` it also prints
    its test page (``test``). The detail: ``<kind>_ready`` with ``ready``'s values, or
    ``<kind>_printed`` with ``test``'s."""
    status = printer.status()
    if not status.ready:
        raise _status_error(status.state.value)
    if ctx.test_print:
        return f"{kind}_printed", {"state": status.state.value, **test()}
    return f"{kind}_ready", {"state": status.state.value, **ready(status)}


def _status_error(state: str) -> DeviceError:
    from drivers.errors import PrinterError
    from drivers.printer import PrinterState, error_for

    # drivers.printer's one state -> error map; a state it does not refuse (busy) still fails
    # the readiness check, as a printer error.
    return (error_for(PrinterState(state)) or PrinterError)(f"printer status: {state}")


def _card_reader(ctx: SelftestContext) -> Detail:
    reader = ctx.devices.card_reader
    assert reader is not None
    return "card_reader", {"model": reader.describe()}


def _panel(ctx: SelftestContext) -> Detail:
    if ctx.devices.panel_error is not None:
        raise ctx.devices.panel_error
    panel = ctx.devices.panel
    assert panel is not None
    panel.set_led(Led.READY, LedState.ON)
    if panel.led_state(Led.READY) is not LedState.ON:
        raise DeviceError("ready LED did not switch on")
    pins = ctx.devices.config.pins
    leds = f"{pins.led_ready}/{pins.led_network}/{pins.led_queue}"
    return "panel", {"leds": leds, "buzzer": pins.buzzer, "button": pins.button}


def _title_reader(ctx: SelftestContext) -> Detail:
    """Tesseract and its Indonesian model, which read a scanned sheet's title
    (kiosk.chasil.identify): without them every page is held as not identified."""
    from kiosk.chasil.identify import pytesseract_module

    pytesseract = pytesseract_module()  # lazy, and without numpy (see there)
    version = str(pytesseract.get_tesseract_version())  # TesseractNotFoundError is an OSError
    if "ind" not in pytesseract.get_languages(config=""):
        raise KioskError("Tesseract has no Indonesian model (Debian package tesseract-ocr-ind)")
    return "title_reader", {"version": version}


def _clock(ctx: SelftestContext) -> Detail:
    now = ctx.now()
    if not CLOCK_NOT_BEFORE <= now < CLOCK_NOT_AFTER:
        raise KioskError(f"clock reads {now.isoformat(timespec='seconds')}: implausible")
    return "clock", {"time": ctx.shown_now().isoformat(timespec="seconds")}


def _disk(ctx: SelftestContext) -> Detail:
    free_mb = shutil.disk_usage(ctx.data_dir).free // (1024 * 1024)
    if free_mb < ctx.min_free_mb:
        from kiosk.errors import StorageFull

        raise StorageFull(f"{free_mb} MiB free, below {ctx.min_free_mb} MiB")
    return "free_space", {"mib": free_mb}


def _data_dir(ctx: SelftestContext) -> Detail:
    probe = ctx.data_dir / ".selftest-probe"
    write_durably(probe, os.urandom(64))
    probe.unlink()
    return "writable", {"path": str(ctx.data_dir)}


def _database(ctx: SelftestContext) -> Detail:
    """The file next to the data: there, not emptied or replaced by a fresh one (the data
    directory was provisioned), and ``PRAGMA quick_check`` ok (kiosk.integrity)."""
    from kiosk.integrity import assess

    problem = assess(ctx.data_dir)
    if problem is not None:
        raise problem
    try:
        result = ctx.db.read("PRAGMA quick_check")[0][0]
    except sqlite3.Error as exc:
        raise (storage_fault(exc, ctx.data_dir) or DatabaseCorrupt(f"database: {exc}")) from exc
    if result != "ok":
        raise DatabaseCorrupt(f"database quick_check: {result}")
    return "database_ok", {"file": ctx.db.path.name}


CHECKS: tuple[tuple[str, Callable[[SelftestContext], Detail]], ...] = (
    ("data_dir", _data_dir),
    ("database", _database),
    ("disk", _disk),
    ("clock", _clock),
    ("scanner", _scanner),
    ("title_reader", _title_reader),
    ("receipt_printer", _receipt_printer),
    ("document_printer", _document_printer),
    ("card_reader", _card_reader),
    ("panel", _panel),
)


def _configured(ctx: SelftestContext, name: str) -> bool:
    if name == "panel":
        return ctx.devices.panel is not None or ctx.devices.panel_error is not None
    if name in DEVICE_CHECKS:
        return getattr(ctx.devices, name) is not None
    return True


def check_all(ctx: SelftestContext) -> Report:
    """Run every check (none stops the others)."""
    results = []
    for name, check in CHECKS:
        required = name in ALWAYS_REQUIRED or name in ctx.required
        if not _configured(ctx, name):
            results.append(
                CheckResult(
                    name,
                    not required,
                    required,
                    "not configured",
                    configured=False,
                    code="not_configured",
                )
            )
            continue
        try:
            code, params = check(ctx)
            results.append(
                CheckResult(
                    name, True, required, detail_text(code, params), None, True, code, params
                )
            )
        except (DeviceError, KioskError, OSError) as exc:
            log.warning("self-test %s failed: %s", name, exc)
            failed: dict[str, object] = {"error": str(exc)}
            results.append(
                CheckResult(name, False, required, str(exc), exc, True, "failed", failed)
            )
    report = Report(ctx.shown_now(), results)
    return report
