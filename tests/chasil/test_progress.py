"""Counting is finished when every ballot type has confirmed numbers and a signed document:
``Counting`` (kiosk.chasil.progress) is the one place that says so, over a real day."""

from __future__ import annotations

import pytest

from kiosk.chasil.progress import Counting
from kiosk.refusals import KioskCode, Refused
from kiosk.training.scenarios import consistent_sheet
from tests.chasil.test_chasil_http import form
from tests.kiosk.conftest import csrf_token, login


def test_counting_follows_the_day_ballot_by_ballot(client, kiosk):
    counting = kiosk.services.counting
    ballots = [b.type for b in kiosk.profile.ballots]
    assert ballots == ["PPWP", "DPR", "DPD"]
    assert counting.unfinished() == ballots
    assert not counting.finished()
    login(client, "kpps1")  # the Ketua enters, confirms, scans and signs
    token = csrf_token(client, "/chasil/")
    for n, ballot in enumerate(kiosk.profile.ballots):
        assert counting.next_work() == (ballot.type, "numbers")
        sheet = consistent_sheet(kiosk.profile, ballot)
        client.post(f"/chasil/{ballot.type}/1", data=form(sheet, token))
        assert counting.next_work() == (ballot.type, "numbers")  # entered is not confirmed
        client.post(f"/chasil/{ballot.type}/confirm", data={"csrf_token": token, "note": ""})
        assert counting.next_work() == (ballot.type, "document")
        assert counting.unfinished() == ballots[n:]
        client.post(f"/chasil/{ballot.type}/scan", data={"csrf_token": token, "source": "adf"})
        finished = client.post(f"/chasil/{ballot.type}/finish", data={"csrf_token": token})
        assert finished.headers["Location"].startswith("/documents/")
        assert counting.unfinished() == ballots[n + 1 :]
    assert counting.next_work() is None
    assert counting.finished()


def test_counting_refuses_without_a_profile(kiosk):
    counting = Counting(None, kiosk.services.chasil, kiosk.services.documents)
    with pytest.raises(Refused) as refused:
        counting.unfinished()
    assert refused.value.code is KioskCode.NOT_PROVISIONED
