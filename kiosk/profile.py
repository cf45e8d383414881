"""The TPS profile a technician loads: identity, election, ballots, DPT, upload, officer roster.

``parse_profile`` validates everything and reports every problem with the line and field it is
on; nothing is installed unless the whole file is right. Codes, PINs and card UIDs take the
ASCII digits 0-9 only (Python's ``\\d`` also matches full-width and Arabic-Indic digits, which
the on-screen keypad cannot type); a key the kiosk does not know is refused with the nearest
known one, as it is a typo far more often than anything else. The file itself (size, encoding,
nesting, TOML) is kiosk/profile_text.py's.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from kiosk.forms import FormPage
from kiosk.forms.boxes import PARTY_BALLOTS, PEMILU_BALLOTS, PILKADA_BALLOTS, sheet_boxes
from kiosk.forms.check import check_forms
from kiosk.lazy_text import lazy_gettext as _l  # not flask_babel's: the worker loads no Flask
from kiosk.profile_checks import MAX_TEXT, Checker
from kiosk.profile_text import Problem, ProfileError, load_toml, read_profile
from kiosk.roles import Role
from kiosk.tps import TpsIdentity

log = logging.getLogger(__name__)
__all__ = ["MAX_TEXT", "Problem", "ProfileError", "parse_profile", "read_profile", "without_pins"]

# election kind -> ballot types in legal counting order (kiosk/forms/boxes.py: a form names them)
ELECTIONS = {"pemilu": PEMILU_BALLOTS, "pilkada": PILKADA_BALLOTS}
# [0-9], not \d; \Z, not $ (which also matches before a final newline).
_CODE = re.compile(r"[0-9]{13}\Z")
_PIN = re.compile(r"[0-9]{6}\Z")
_UID = re.compile(r"(?:[0-9A-F]{2}){4,10}\Z")
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}\Z")


@dataclass(frozen=True)
class Party:
    name: str
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class Ballot:
    type: str
    candidates: tuple[str, ...] = ()  # candidate-pair / person ballots
    parties: tuple[Party, ...] = ()  # party ballots (DPR, DPRD)


@dataclass(frozen=True)
class Officer:
    id: str
    name: str
    role: Role
    pin: str | None = None  # only while provisioning; never stored in clear
    card_uid: str | None = None


@dataclass(frozen=True)
class Profile:
    identity: TpsIdentity
    election: str
    election_date: dt.date
    reserve_percent: float
    dpt_l: int
    dpt_p: int
    allow_pin_only: bool
    upload_endpoint: str
    upload_token: str
    ballots: tuple[Ballot, ...]
    officers: tuple[Officer, ...] = field(default=())
    forms: tuple[FormPage, ...] = ()  # KPU's forms for this TPS ([[forms]]); see kiosk.forms


def _ballots(c: Checker, data: dict[str, Any], election: str) -> tuple[Ballot, ...]:
    raw = data.get("ballots")
    if not isinstance(raw, list) or not raw:
        c.fail("ballots", _l("at least one [[ballots]] table is needed"))
        return ()
    allowed = ELECTIONS.get(election, ())
    seen: set[str] = set()
    ballots = []
    for i, b in enumerate(raw):
        path = f"ballots[{i}]"
        kind = b.get("type") if isinstance(b, dict) else None
        if kind not in allowed:
            c.fail(
                f"{path}.type",
                _l("must be one of %(types)s for this election", types=", ".join(allowed) or "-"),
            )
            continue
        if kind in seen:
            c.fail(f"{path}.type", _l("%(type)s appears twice", type=kind))
        seen.add(kind)
        if kind in PARTY_BALLOTS:
            parties = b.get("parties")
            if not isinstance(parties, list) or not parties:
                c.fail(f"{path}.parties", _l("a party ballot needs its parties"))
                continue
            party_list = []
            for j, p in enumerate(parties):
                if not isinstance(p, dict):
                    c.fail(
                        f"{path}.parties[{j}]",
                        _l(
                            "each party must be a [[ballots.parties]] table"
                            " with name and candidates"
                        ),
                    )
                    continue
                name = c.text_field(p, "name", f"{path}.parties[{j}].name")
                cands = p.get("candidates", [])
                if not isinstance(cands, list) or not all(isinstance(x, str) for x in cands):
                    c.fail(f"{path}.parties[{j}].candidates", _l("must be a list of names"))
                    cands = []
                party_list.append(Party(name, tuple(cands)))
            ballots.append(Ballot(kind, parties=tuple(party_list)))
        else:
            cands = b.get("candidates")
            if (
                not isinstance(cands, list)
                or not cands
                or not all(isinstance(x, str) and x.strip() for x in cands)
            ):
                c.fail(f"{path}.candidates", _l("must list the candidates"))
                continue
            if len(set(cands)) != len(cands):
                c.fail(f"{path}.candidates", _l("a candidate is listed twice"))
            ballots.append(Ballot(kind, candidates=tuple(cands)))
    order = {t: n for n, t in enumerate(allowed)}
    return tuple(sorted(ballots, key=lambda b: order[b.type]))


def _forms(c: Checker, data: dict[str, Any], ballots: tuple[Ballot, ...]) -> tuple[FormPage, ...]:
    """The [[forms]] tables (kiosk/forms/check.py checks each field), each of a ballot this
    profile has, with only the boxes that ballot's sheet has (V.3 needs a 4th candidate)."""
    if "forms" not in data:
        return ()
    before = len(c.problems)
    forms = check_forms(data["forms"], c.fail)
    if len(c.problems) > before:
        return ()
    by_type = {b.type: b for b in ballots}
    for i, form in enumerate(forms):
        ballot = by_type.get(form.ballot)
        if ballot is None:
            c.fail(
                f"forms[{i}].ballot", _l("the profile has no %(ballot)s ballot", ballot=form.ballot)
            )
            continue
        boxes = sheet_boxes(len(ballot.candidates), [len(p.candidates) for p in ballot.parties])
        for j, box in enumerate(form.boxes):
            if box.name not in boxes:
                c.fail(
                    f"forms[{i}].boxes[{j}].name",
                    _l(
                        "the profile's %(ballot)s ballot has no box %(name)s",
                        ballot=form.ballot,
                        name=box.name,
                    ),
                )
    return forms


def _pin(c: Checker, pin: object, path: str) -> str | None:
    if not c.digits(pin, path):
        return None
    if not isinstance(pin, str) or not _PIN.match(pin):
        c.fail(path, _l("must be exactly 6 digits, in quotes"))
        return None
    return pin


def _upload(c: Checker, data: dict[str, Any]) -> tuple[str, str]:
    """The collector's URL and credential from [upload]."""
    table = data.get("upload", {})
    if not isinstance(table, dict):
        c.fail("upload", _l("must be the [upload] table with endpoint and token"))
        return "", ""
    endpoint = table.get("endpoint", "")
    url = urlparse(endpoint) if isinstance(endpoint, str) else None
    if url is None or url.scheme not in ("https", "http") or not url.netloc:
        c.fail("upload.endpoint", _l("must be the collector's URL (https://...)"))
    elif url.scheme == "http" and url.hostname not in ("127.0.0.1", "localhost"):
        c.fail("upload.endpoint", _l("must use https (http only for a collector on this kiosk)"))
    token = table.get("token", "")
    if not isinstance(token, str) or len(token) < 16:
        c.fail("upload.token", _l("must be the upload credential (at least 16 characters)"))
    return str(endpoint), str(token)


def _officers(c: Checker, data: dict[str, Any], installed: bool) -> tuple[Officer, ...]:
    raw = data.get("officers")
    if not isinstance(raw, list) or not raw:
        c.fail("officers", _l("the roster needs at least the Ketua KPPS"))
        return ()
    officers: list[Officer] = []
    ids: set[str] = set()
    uids: set[str] = set()
    for i, o in enumerate(raw):
        path = f"officers[{i}]"
        oid = o.get("id") if isinstance(o, dict) else None
        if not isinstance(oid, str) or not _ID.match(oid):
            c.fail(f"{path}.id", _l("must be a short id of lower-case letters and digits"))
            continue
        if oid in ids:
            c.fail(f"{path}.id", _l("%(id)s appears twice", id=oid))
        ids.add(oid)
        name = c.text_field(o, "name", f"{path}.name")
        try:
            role = Role(o.get("role") if isinstance(o.get("role"), str) else "")
        except ValueError:
            c.fail(
                f"{path}.role",
                _l("must be one of %(roles)s", roles=", ".join(r.value for r in Role)),
            )
            continue
        # The installed copy keeps no PINs; their hashes are in the database.
        pin = None if installed else _pin(c, o.get("pin"), f"{path}.pin")
        uid = o.get("card_uid")
        if uid is not None:
            uid = uid.replace(" ", "").upper() if isinstance(uid, str) else ""
            if not _UID.match(uid):
                c.fail(f"{path}.card_uid", _l("must be the card UID in hex (8 to 20 digits)"))
            elif uid in uids:
                c.fail(f"{path}.card_uid", _l("this card is given to two officers"))
            uids.add(uid)
        officers.append(Officer(oid, name, role, pin, uid))
    ketua = [i for i, o in enumerate(officers) if o.role is Role.KETUA]
    if not ketua:
        c.fail("officers", _l("the roster must have exactly one Ketua KPPS (found %(n)d)", n=0))
    for extra in ketua[1:]:
        c.fail(
            f"officers[{extra}].role",
            _l("the roster must have exactly one Ketua KPPS (found %(n)d)", n=len(ketua)),
        )
    return tuple(officers)


def parse_profile(text: str, installed: bool = False) -> Profile:
    """Validate a profile; raise ProfileError listing every problem with its line and field.

    ``installed``: the kiosk's own copy, from which the PINs were removed at provisioning.
    """
    data, lines = load_toml(text)
    c = Checker(lines)
    if installed:
        # The kiosk's own copy passed the checks of the version that installed it; what this
        # version checks besides (keys, control characters, lengths) is only logged, so an
        # update never turns a provisioned kiosk into a "new" one.
        newer = Checker(lines)
        newer.walk(data)
        for problem in newer.problems:
            log.warning("installed profile: %s", problem)
    else:
        c.walk(data)
    code = data.get("code")
    if not c.digits(code, "code"):
        code = "0" * 13
    elif not isinstance(code, str) or not _CODE.match(code):
        c.fail(
            "code", _l("must be 13 digits in quotes: 10-digit village code + 3-digit TPS number")
        )
        code = "0" * 13
    elif code.endswith("000"):
        c.fail("code", _l("the TPS number (last 3 digits) cannot be 000"))
    names = {k: c.text_field(data, k, k) for k in ("province", "regency", "district", "village")}
    election = data.get("election")
    if not isinstance(election, str) or election not in ELECTIONS:
        c.fail("election", _l('must be "pemilu" or "pilkada"'))
        election = ""
    date = data.get("election_date")
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        c.fail("election_date", _l("must be a date like 2024-02-14 (no quotes)"))
        date = dt.date(1970, 1, 1)
    reserve = data.get("reserve_percent")
    if isinstance(reserve, bool) or not isinstance(reserve, int | float) or not 0 <= reserve <= 10:
        c.fail("reserve_percent", _l("must be a number from 0 to 10"))
        reserve = 0
    dpt_l = c.int_field(data, "dpt_l", "dpt_l", 0, 1000)
    dpt_p = c.int_field(data, "dpt_p", "dpt_p", 0, 1000)
    endpoint, token = _upload(c, data)
    allow_pin_only = data.get("allow_pin_only", False)
    if not isinstance(allow_pin_only, bool):
        c.fail("allow_pin_only", _l("must be true or false"))
    ballots = _ballots(c, data, str(election))
    officers = _officers(c, data, installed)
    forms = _forms(c, data, ballots)
    if c.problems:
        raise ProfileError(c.problems)
    identity = TpsIdentity(
        code=code, election="Pemilu" if election == "pemilu" else "Pilkada", **names
    )
    return Profile(
        identity,
        str(election),
        date,
        float(reserve),
        dpt_l,
        dpt_p,
        bool(allow_pin_only),
        endpoint,
        token,
        ballots,
        officers,
        forms,
    )


def without_pins(text: str) -> str:
    """The profile text with every ``pin = ...`` line and a BOM removed (what the kiosk keeps)."""
    return "".join(
        line
        for line in text.removeprefix("\ufeff").splitlines(keepends=True)
        if not re.match(r"^\s*pin\s*=", line)
    )
