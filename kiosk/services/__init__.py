"""The kiosk's features, as the views and commands reach them.

``Services`` is built once per process by ``kiosk.wiring`` and is always complete: a kiosk
without a TPS profile still has every service, and those that need the profile refuse with
``KioskCode.NOT_PROVISIONED`` (kiosk.refusals). It exposes no database, settings or devices.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:  # the container names its parts; it never imports the features at run time
    import sqlite3

    from kiosk.chasil.copies import CopyService
    from kiosk.chasil.documents import DocumentService
    from kiosk.chasil.progress import Counting
    from kiosk.chasil.readings import PageReadings
    from kiosk.chasil.service import ChasilService
    from kiosk.checklist.incidents import IncidentService
    from kiosk.checklist.service import ChecklistService
    from kiosk.clock import ClockCorrection
    from kiosk.services.audit_trail import AuditTrail
    from kiosk.services.auth import AuthService
    from kiosk.services.cards import CardDesk
    from kiosk.services.info import KioskInfo
    from kiosk.services.selftest import SelftestService
    from kiosk.services.status import StatusService
    from kiosk.training.service import TrainingService
    from kiosk.training.simulasi import SimulasiService
    from kiosk.upload.queue import QueueService


@dataclass(frozen=True)
class Services:
    kiosk: KioskInfo
    auth: AuthService
    cards: CardDesk
    audit_trail: AuditTrail
    selftest: SelftestService
    chasil: ChasilService
    documents: DocumentService
    readings: PageReadings
    copies: CopyService
    counting: Counting
    queue: QueueService
    checklist: ChecklistService
    clock: ClockCorrection
    incidents: IncidentService
    status: StatusService
    training: TrainingService
    simulasi: SimulasiService


@runtime_checkable
class DayOwner(Protocol):
    """A service that owns tables: it alone reads and writes them, and "Reset latihan" asks
    it to clear its training day. Kept tables (the roster, the audit log) clear nothing."""

    owns: ClassVar[tuple[str, ...]]  # the tables it owns; () for day state in memory only

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """Delete the day's rows inside the reset's transaction ``conn`` (rows deleted per
        table) and forget the day's state in memory."""
        ...


def day_owners(services: Services) -> list[DayOwner]:
    """The services that own a training day, in field order (read from ``Services`` itself,
    so a new service is never left out)."""
    parts = (getattr(services, f.name) for f in fields(services))
    return [part for part in parts if isinstance(part, DayOwner)]
