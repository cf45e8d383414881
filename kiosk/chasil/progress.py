"""Whether counting is finished: the one place that says so.

Counting at a TPS is over when every ballot type of the profile has its C.Hasil numbers
confirmed by the Ketua (``ChasilService`` owns that) and a signed document (``DocumentService``
owns that). The checklist's counting sign-off, the home screen's next step and the day banner
all ask ``Counting``; none of them reads the tables behind it.
"""

from __future__ import annotations

from typing import Literal, Protocol

from kiosk.profile import Profile
from kiosk.refusals import KioskCode, Refused

Work = Literal["numbers", "document"]


class ConfirmedNumbers(Protocol):
    """The owner of the Ketua's confirmations (kiosk.chasil.service.ChasilService)."""

    def confirmed_ballots(self) -> set[str]: ...


class SignedDocuments(Protocol):
    """The owner of the signed documents (kiosk.chasil.documents.DocumentService)."""

    def signed_ballots(self) -> set[str]: ...


class Counting:
    """Counting progress over the profile's ballot types, in legal (profile) order."""

    def __init__(
        self, profile: Profile | None, numbers: ConfirmedNumbers, documents: SignedDocuments
    ) -> None:
        self._profile = profile
        self._numbers = numbers
        self._documents = documents

    def _ballots(self) -> list[str]:
        if self._profile is None:
            raise Refused(KioskCode.NOT_PROVISIONED)
        return [b.type for b in self._profile.ballots]

    def unfinished(self) -> list[str]:
        """Ballot types (profile order) lacking confirmed numbers or a signed document; empty
        when counting is finished."""
        ballots = self._ballots()
        confirmed, signed = self._numbers.confirmed_ballots(), self._documents.signed_ballots()
        return [b for b in ballots if b not in confirmed or b not in signed]

    def finished(self) -> bool:
        return not self.unfinished()

    def next_work(self) -> tuple[str, Work] | None:
        """Ballot by ballot in legal order: its numbers confirmed, then its signed document
        (scan and sign), then the next ballot. None when counting is finished."""
        ballots = self._ballots()
        confirmed, signed = self._numbers.confirmed_ballots(), self._documents.signed_ballots()
        for ballot in ballots:
            if ballot not in confirmed:
                return ballot, "numbers"
            if ballot not in signed:
                return ballot, "document"
        return None
