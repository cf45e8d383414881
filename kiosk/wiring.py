"""How the web app's process is put together, in one place.

``build_runtime`` takes the shared core (kiosk.core) and adds the devices, the background
threads (card watch, reminder bell, queue lights) and the ``Services`` the views reach features
through. The runtime itself stays out of views: ``create_app`` keeps it in
``app.extensions["kiosk"]`` for start-up, shutdown and tests.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.gpio import Led, LedState
from kiosk.audit import AuditLog
from kiosk.chasil.copies import CopyService
from kiosk.chasil.documents import DocumentService
from kiosk.chasil.pages import Page
from kiosk.chasil.progress import Counting
from kiosk.chasil.readings import PageReadings
from kiosk.chasil.service import ChasilService
from kiosk.checklist.bell import ReminderBell
from kiosk.checklist.incidents import IncidentService
from kiosk.checklist.model import load as load_checklist
from kiosk.checklist.scan_step import ScanStep
from kiosk.checklist.service import ChecklistService
from kiosk.clock import ClockCorrection, OffsetClock
from kiosk.core import Core
from kiosk.db import Database
from kiosk.devicekey import ensure_key
from kiosk.devices import Devices, open_devices
from kiosk.profile import Profile
from kiosk.services import Services, day_owners
from kiosk.services.audit_trail import AuditTrail
from kiosk.services.auth import AuthService, Policy
from kiosk.services.card_watch import CardWatch
from kiosk.services.cards import CardDesk
from kiosk.services.device_look import DeviceLook
from kiosk.services.info import KioskInfo
from kiosk.services.printing import ReportPrinter
from kiosk.services.provisioning import installed_profile, provision
from kiosk.services.selftest import SelftestService
from kiosk.services.status import StatusService
from kiosk.settings import Settings
from kiosk.tps import TpsIdentity
from kiosk.training.service import TrainingService
from kiosk.training.simulasi import SimulasiService
from kiosk.upload.lights import QueueLights
from kiosk.upload.outbox import Outbox
from kiosk.upload.queue import queue_service

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """One running kiosk: its core, devices, background threads and services."""

    core: Core
    devices: Devices
    profile: Profile | None
    services: Services
    auth: AuthService
    outbox: Outbox
    card_watch: CardWatch | None = None
    bell: ReminderBell | None = None
    lights: QueueLights | None = None
    _stopped: bool = field(default=False, repr=False)

    # Shortcuts for start-up code and tests.
    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def db(self) -> Database:
        return self.core.db

    @property
    def clock(self) -> OffsetClock:
        return self.core.clock

    @property
    def audit(self) -> AuditLog:
        return self.core.audit

    @property
    def training(self) -> bool:
        return bool(self.core.settings.training)

    @property
    def tps(self) -> TpsIdentity | None:
        return self.profile.identity if self.profile else None

    def close(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.card_watch is not None:
            self.card_watch.stop()
        if self.bell is not None:
            self.bell.stop()
        if self.lights is not None:
            self.lights.stop()
        self.services.readings.close()
        self.devices.close()


def _documents_and_reader(
    core: Core, profile: Profile | None, chasil: ChasilService, devices: Devices
) -> tuple[DocumentService, PageReadings]:
    """The scanned pages' owner and the third reader, which know each other: the documents
    tell the reader each page of the right form they keep, and ask it for the pages' readings
    when a document is signed; the reader asks the documents for the pages."""
    settings = core.settings

    def page_kept(page_id: int) -> None:
        readings.submit(page_id)

    def page_readings(pages: Sequence[Page]) -> dict[int, dict[str, Any]]:
        return readings.for_manifest(pages)

    documents = DocumentService(
        core.db,
        core.audit,
        core.clock,
        core.data_dir,
        profile,
        bool(settings.training),
        numbers=chasil,
        scanner=devices.scanner,
        signing_key=lambda: ensure_key(core.data_dir),
        dpi=settings.scanner_dpi,
        kept=page_kept,
        readings=page_readings,
    )
    readings = PageReadings(
        core.db,
        core.clock,
        core.data_dir,
        documents,
        settings.scanner_dpi,
        enabled=bool(settings.paper_reader),
    )
    return documents, readings


def build_runtime(
    core: Core, devices: Devices | None = None, provision_from: Path | None = None
) -> Runtime:
    """Devices opened, profile installed (``provision_from``: the demo's sample TPS when none
    is installed yet), services built, background threads started."""
    settings, db, audit, clock = core.settings, core.db, core.audit, core.clock
    if provision_from is not None and installed_profile(core.data_dir) is None:
        provision(db, audit, core.data_dir, provision_from.read_text(encoding="utf-8"), by="demo")
    profile = installed_profile(core.data_dir)
    if profile is not None:  # the demo's profile may be installed only just now
        core.use_zone(profile.identity.code)
    if devices is None:
        devices = open_devices(settings.device_config())
    if devices.panel is not None:
        devices.panel.set_led(Led.READY, LedState.ON)  # the app is up
    policy = Policy(
        max_attempts=settings.pin_attempts,
        lockout_base_s=settings.lockout_s,
        idle_s=settings.idle_timeout_min * 60,
        max_s=settings.session_max_hours * 3600,
    )
    auth = AuthService(
        db,
        audit,
        clock,
        policy,
        bool(settings.training),
        profile.allow_pin_only if profile else False,
    )
    outbox = Outbox(db, clock, core.data_dir)

    # Rule 9 needs the ballots counted at opening, which the checklist records: asked of the
    # checklist built below, at call time, so kiosk.chasil never imports kiosk.checklist.
    def received_at_opening(ballot: str) -> int | None:
        return checklist.received_at_opening(ballot)

    # SS3 and SS4 to offer on the C.Hasil: the closing counts, asked of the checklist's steps
    # (the same ids in every checklist file) at call time, like the opening count.
    def closing_counts(ballot: str) -> dict[str, int]:
        if not checklist.provisioned:
            return {}
        steps = {s.step.id: s.value for p in checklist.phases() for s in p.steps}
        out = {}
        for box, step_id in (("SS3", "surat_suara_rusak"), ("SS4", "surat_suara_sisa")):
            value = steps.get(step_id)
            if isinstance(value, dict) and isinstance(value.get(ballot), int):
                out[box] = int(value[ballot])
        return out

    # A signed document freezes its ballot's numbers; the documents' owner is built below.
    def signed_ballots() -> set[str]:
        return documents.signed_ballots()

    chasil = ChasilService(
        db,
        audit,
        clock,
        profile,
        received_at_opening,
        auth.officer,
        closing_counts=closing_counts,
        signed_ballots=signed_ballots,
        record_key=lambda: ensure_key(core.data_dir),
        data_dir=core.data_dir,
        training=bool(settings.training),
    )
    documents, readings = _documents_and_reader(core, profile, chasil, devices)
    copies = CopyService(
        db,
        audit,
        clock,
        profile,
        documents,
        devices.document_printer,
        devices.receipt_printer,
    )
    # Built here, started last: the card desk reads it from the first request on.
    card_watch = (
        CardWatch(devices.card_reader, auth.card_removed)
        if devices.card_reader is not None
        else None
    )
    tps = profile.identity if profile else None
    training = bool(settings.training)
    counting = Counting(profile, chasil, documents)
    queue = queue_service(core, profile, outbox)
    selftest = SelftestService(
        devices,
        db,
        audit,
        core.data_dir,
        settings.min_free_mb,
        settings.required,
        training,
        tps,
        now=clock.now,  # self-test times on the kiosk's clock, with the Ketua's correction
    )
    correction = ClockCorrection(db, clock)
    incidents = IncidentService(db, audit, clock, tps.code if tps else None)
    checklist = ChecklistService(
        db,
        audit,
        clock,
        correction,
        load_checklist(profile.election) if profile else None,
        profile,
        counting,
        ScanStep(devices.scanner, settings.scanner_dpi, core.data_dir / "checklist"),
        ReportPrinter(
            devices.receipt_printer, devices.document_printer, training, core.data_dir / "spool"
        ),
        incidents.lines,
        training,
    )
    training_service = TrainingService(
        db,
        audit,
        clock,
        devices,
        core.data_dir,
        training,
        profile is not None,
        auth,
        chasil,
        # Asked at reset time, of the finished container: every owner of a table, none listed.
        owners=lambda: day_owners(services),
        real_documents=documents.real_documents,
        correction=correction,
        checklist=checklist,
    )
    services = Services(
        kiosk=KioskInfo(db, clock, core.data_dir, bool(settings.training), tps, devices.all_fake),
        auth=auth,
        cards=CardDesk(auth, card_watch),
        audit_trail=AuditTrail(audit),
        selftest=selftest,
        chasil=chasil,
        documents=documents,
        readings=readings,
        copies=copies,
        counting=counting,
        queue=queue,
        checklist=checklist,
        clock=correction,
        incidents=incidents,
        status=StatusService(
            checklist,
            counting,
            queue,
            selftest,
            # A fault clears once the device is seen well again (kiosk.services.device_look).
            DeviceLook(
                {
                    "receipt_printer": devices.receipt_printer,
                    "document_printer": devices.document_printer,
                },
                card_watch,
            ).works,
        ),
        training=training_service,
        simulasi=SimulasiService(devices),
    )
    runtime = Runtime(core, devices, profile, services, auth, outbox)
    if devices.panel is not None:
        runtime.lights = QueueLights(outbox, devices.panel)
        runtime.lights.start()
    if profile is not None and devices.panel is not None:
        runtime.bell = ReminderBell(checklist, devices.panel)
        training_service.when_clock_went_back(runtime.bell.forget_rung)
        runtime.bell.start()
    if card_watch is not None:
        runtime.card_watch = card_watch
        card_watch.start()
    readings.resume()  # pages a power cut left unread
    return runtime
