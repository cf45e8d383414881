"""The kiosk's features, as the views and commands reach them.

``Services`` is built once per process by ``kiosk.wiring`` and is always complete: a kiosk
without a TPS profile still has every service, and those that need the profile refuse with
``KioskCode.NOT_PROVISIONED`` (kiosk.refusals). It exposes no database, settings or devices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the container names its parts; it never imports the features at run time
    from kiosk.chasil.copies import CopyService
    from kiosk.chasil.documents import DocumentService
    from kiosk.chasil.progress import Counting
    from kiosk.chasil.service import ChasilService
    from kiosk.services.audit_trail import AuditTrail
    from kiosk.services.auth import AuthService
    from kiosk.services.cards import CardDesk
    from kiosk.services.info import KioskInfo
    from kiosk.services.selftest import SelftestService


@dataclass(frozen=True)
class Services:
    kiosk: KioskInfo
    auth: AuthService
    cards: CardDesk
    audit_trail: AuditTrail
    selftest: SelftestService
    chasil: ChasilService
    documents: DocumentService
    copies: CopyService
    counting: Counting
