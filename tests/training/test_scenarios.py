"""The C.Hasil practice sheets: each makes the kiosk report exactly its rule(s), on its own C.Hasil
screens, entered as the trainer's entry; the sheets without the mistake are clean."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from kiosk.chasil.checks import check_sheet
from kiosk.chasil.service import ChasilService
from kiosk.profile import Ballot, parse_profile
from kiosk.refusals import Refused
from kiosk.tps import SAMPLE_PROFILE
from kiosk.training.refusals import TrainingCode
from kiosk.training.scenarios import EXPECTED_RULES, Scenario, consistent_sheet, load
from tests.chasil.test_chasil_http import GOOD, form
from tests.kiosk.conftest import csrf_token
from tests.training.conftest import logged_in, press

PROFILE = parse_profile(SAMPLE_PROFILE.read_text(encoding="utf-8"))


def rules_on_page(client, ballot: str) -> set[int]:
    html = client.get(f"/chasil/{ballot}/1").get_data(as_text=True)
    return {int(n) for n in re.findall(r'data-rule="(\d+)"', html)}


@pytest.mark.parametrize(
    ("scenario", "ballots", "wrong"),
    [
        ("party_and_candidate", ["DPR"], {"DPR": {"U": 256, "SS2": 214, "P.0": 98}}),
        ("dptb_wrong_ballots", ["PPWP", "DPR"], {"DPR": {"B2.J": 8}, "PPWP": {"B2.J": 5}}),
        ("written_884", ["PPWP"], {"PPWP": {"V.2": 884, "S": 209}}),
    ],
)
def test_each_scenario_shows_exactly_its_rules_on_the_chasil_screens(
    kiosk, trainer, scenario, ballots, wrong
):
    resp = press(trainer, "scenario", scenario)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/chasil/{ballots[-1]}/1")
    expected = EXPECTED_RULES[Scenario(scenario)]
    rows = kiosk.db.read("SELECT ballot, entry_no, officer_id, boxes FROM chasil_entry")
    assert sorted(r["ballot"] for r in rows) == sorted(ballots)
    assert {(r["entry_no"], r["officer_id"]) for r in rows} == {(1, "pelatih")}
    for r in rows:  # the mistake is where the scenario says
        boxes = json.loads(r["boxes"])
        assert {k: boxes[k] for k in wrong[r["ballot"]]} == wrong[r["ballot"]]
    # What a KPPS sees on each entered sheet's screen: the scenario's rules and no other.
    seen: set[int] = set()
    for ballot in ballots:
        on_page = rules_on_page(trainer, ballot)
        assert on_page <= expected
        seen |= on_page
    assert seen == expected
    flashed = trainer.get("/pelatih/").get_data(as_text=True)
    assert "Traceback" not in flashed
    entered = [r for r in kiosk.audit.rows() if r["kind"] == "chasil_entered"]
    assert {r["officer"] for r in entered} == {"pelatih"}
    loaded = [r for r in kiosk.audit.rows() if r["kind"] == "training_scenario"]
    assert len(loaded) == 1 and f'"scenario": "{scenario}"' in loaded[0]["details"]


def test_a_scenario_replaces_the_days_numbers(kiosk, trainer, app):
    ketua, anggota = logged_in(app, "kpps1"), logged_in(app, "kpps2")
    token = csrf_token(ketua, "/chasil/PPWP/1")
    ketua.post("/chasil/PPWP/1", data=form(GOOD, token))
    anggota.post("/chasil/PPWP/2", data=form(GOOD, csrf_token(anggota, "/chasil/PPWP/2")))
    ketua.post("/chasil/PPWP/confirm", data={"csrf_token": token})
    assert kiosk.db.read("SELECT count(*) FROM chasil_confirmed")[0][0] == 1

    press(trainer, "scenario", "written_884")
    assert kiosk.db.read("SELECT count(*) FROM chasil_confirmed")[0][0] == 0
    assert kiosk.db.read("SELECT count(*) FROM chasil_entry")[0][0] == 1
    # The Ketua cannot confirm the practice sheet: rule 5 blocks.
    ketua.post("/chasil/PPWP/confirm", data={"csrf_token": token, "note": "dicek"})
    assert kiosk.db.read("SELECT count(*) FROM chasil_confirmed")[0][0] == 0


def test_the_sheets_without_the_mistake_are_clean():
    service = ChasilService(None, None, None, PROFILE)
    for ballot in PROFILE.ballots:
        boxes = consistent_sheet(PROFILE, ballot)
        findings = check_sheet(
            service.sheet(ballot.type, dict(boxes)), boxes["SS1"], PROFILE.reserve_percent
        )
        assert findings == [], (ballot.type, findings)


def test_a_profile_that_cannot_show_the_mistake_refuses_the_scenario(kiosk, monkeypatch):
    pilkada = dataclasses.replace(
        PROFILE, ballots=(Ballot("GUBERNUR", candidates=("Paslon 01", "Paslon 02")),)
    )
    service = ChasilService(kiosk.db, kiosk.audit, kiosk.clock, pilkada)
    who = kiosk.auth.login("pelatih", "777777", None)
    cleared = []
    for scenario in (Scenario.PARTY_AND_CANDIDATE, Scenario.DPTB_WRONG_BALLOTS):
        with pytest.raises(Refused) as refused:
            load(scenario, service, who, lambda: cleared.append(True))
        assert refused.value.code is TrainingCode.SCENARIO_UNAVAILABLE
    assert cleared == []  # refused before the day's numbers are touched
    assert load(Scenario.WRITTEN_884, service, who, lambda: None).rules == {5, 13}
    training = kiosk.services.training
    monkeypatch.setattr(training, "training", False)
    with pytest.raises(Refused) as refused:
        training.load_scenario(Scenario.WRITTEN_884, who)
    assert refused.value.code is TrainingCode.NOT_TRAINING


def test_an_unsuitable_profile_is_told_on_the_panel(kiosk, trainer, monkeypatch):
    one_ballot = dataclasses.replace(kiosk.profile, ballots=kiosk.profile.ballots[:1])
    monkeypatch.setattr(kiosk.services.chasil, "_profile", one_ballot)
    press(trainer, "scenario", "dptb_wrong_ballots")
    html = trainer.get("/pelatih/").get_data(as_text=True)
    assert "Skenario ini tidak cocok dengan profil TPS ini." in html
    assert kiosk.db.read("SELECT count(*) FROM chasil_entry")[0][0] == 0
