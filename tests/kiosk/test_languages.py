"""Every screen in one language only: no English or raw value in Bahasa Indonesia, no Indonesian
in English.

A training kiosk goes through a sample day far enough that every page has content (checklist
records with a clock set by the Ketua, incidents of both kinds, C.Hasil numbers, a signed
document with copies on both printers, queue jobs, audit rows, a self-test report). Then every
GET route is rendered with a Ketua logged in (the trainer's pages with the trainer) in both
languages, and so are the printed reports' lines.

The vocabulary is the catalogue's: English words are the words of the msgids, Indonesian words
those of the msgstrs. A word found in both (KPPS, saksi, Ketua, printer, ...), a number, a name
from the TPS profile and a code (TPS, PPWP, C.Hasil) is neutral; a word of the other language
only is a leak. Raw values are leaks in both languages: identifiers with an underscore
(``cover_open``), ISO timestamps, JSON, officer ids instead of names.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from kiosk import create_app
from kiosk.checklist.reports import REPORTS
from kiosk.clock import ManualClock
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.chasil.test_chasil_http import GOOD, form
from tests.kiosk.conftest import csrf_token, login
from tests.kiosk.day import day_settings
from tests.kiosk.signing import signed_document

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "kiosk/translations/id/LC_MESSAGES/messages.po"
WITA = dt.timezone(dt.timedelta(hours=8))  # the sample TPS is in Kalimantan Timur
DAY = dt.date(2024, 2, 14)

# Codes and names that stand as they are in both languages.
NEUTRAL = {
    "tps",
    "kpps",
    "ppwp",
    "dpr",
    "dpd",
    "dprd",
    "prov",
    "kab",
    "kota",
    "hasil",
    "c",
    "ok",
    "simulasi",
    "english",
    "bahasa",
    "indonesia",
    "wib",
    "wita",
    "wit",
    "pdf",
    "png",
    "usb",
    "pin",
    "id",
    "en",
    "a4",
    "sha",
    "dpt",
    "dptb",
    "dpk",
    "ktp",
    "el",
    "kiosk",
    "bimtek",
}
# A word is letters only: letters glued to digits (a key "53BE", "kpps1") are codes.
_WORD = re.compile(r"(?<![\w])[^\W\d_]+(?![\w])")
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sd]|\{\w*\}")
# Raw values a person should never read.
RAW = {
    "identifier": re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b"),
    "ISO time": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"),
    "JSON": re.compile(r"[{\[]\s*\"\w+\"\s*:"),
}
# Names that stand as they are in both languages: the official forms, and files.
NAMES = re.compile(r"C\.Kejadian Khusus|C\.[A-Z][\w-]*|[\w-]+\.(?:png|pdf|sqlite3)\b")
# Screens and printouts that show recorded times.
ZONED = {
    "/audit/",
    "/checklist/",
    "/checklist/step/surat_suara_diterima",
    "/incidents/",
    "/selftest/",
    "/chasil/PPWP/confirm",
} | {f"report {which}" for which in ("opening", "closing", "incidents")}
# Pages that are not HTML, or not screens.
SKIP = {
    "static",
    "main.health",
    "login.card_state",
    "documents.page_image",
    "paper.crop",
    "simulasi.output",
}


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(_PLACEHOLDER.sub(" ", text))}


def vocabularies() -> tuple[set[str], set[str]]:
    """(English-only, Indonesian-only) words of the catalogue."""
    english: set[str] = set()
    indonesian: set[str] = set()
    with PO.open("rb") as fh:
        for message in read_po(fh):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strs = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in ids:
                english |= _words(text)
            for text in strs:
                indonesian |= _words(text)
    profile = tomllib.loads(SAMPLE_PROFILE.read_text(encoding="utf-8"))
    names = _words(" ".join(_strings(profile))) | NEUTRAL
    return english - indonesian - names, indonesian - english - names


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


class _Visible(HTMLParser):
    """The text a person sees: no scripts, styles or attribute values but button labels."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        a = dict(attrs)
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.parts.append(str(a["value"]))
        if a.get("placeholder"):
            self.parts.append(str(a["placeholder"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


# What the officers type in the sample day: shown back as written, in any language.
TYPED = ("Saksi belum hadir", "Hujan deras", "Saksi 02")


def _around(text: str, match: re.Match[str]) -> str:
    return text[max(0, match.start() - 40) : match.end() + 40]


def leaks(text: str, foreign: set[str], officer_ids: set[str]) -> list[str]:
    """Each foreign word or raw value in ``text``, with a little context."""
    found = []
    text = NAMES.sub(" ", text)
    for typed in TYPED:
        text = text.replace(typed, " ")
    for match in _WORD.finditer(text):
        if match.group(0).lower() in foreign:
            found.append(f"{match.group(0)!r} in …{_around(text, match)}…")
    for officer_id in officer_ids:
        for match in re.finditer(rf"\b{re.escape(officer_id)}\b", text):
            found.append(f"officer id {officer_id!r} in …{_around(text, match)}…")
    for what, pattern in RAW.items():
        for match in pattern.finditer(text):
            found.append(f"{what} {match.group(0)!r} in …{_around(text, match)}…")
    return found


def _post(client: FlaskClient, url: str, page: str = "/", **data: str):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def _at(hh: int, mm: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hh, mm), WITA)


def _sample_day(app: Flask, clock: ManualClock) -> None:
    ketua, anggota = app.test_client(), app.test_client()
    assert login(ketua, "kpps1").status_code == 302
    assert login(anggota, "kpps2").status_code == 302

    def step(client: FlaskClient, step_id: str, **data: str) -> None:
        resp = _post(client, f"/checklist/{step_id}", "/checklist/", **data)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]

    for step_id in ("tps_didirikan", "daftar_diumumkan", "logistik"):
        step(anggota, step_id)
    step(anggota, "mandat_saksi", value="3")
    step(ketua, "persiapan_ditandatangani")
    step(ketua, "jam_dikonfirmasi", action="set", time="0650")
    clock.advance(15 * 60)  # 07.05 on the corrected clock
    step(ketua, "rapat_dibuka", reason="Saksi belum hadir")
    step(anggota, "sumpah")
    step(anggota, "kotak_kosong")
    counts = {"value:PPWP": "285", "value:DPR": "285", "value:DPD": "285"}
    step(anggota, "surat_suara_diterima", **counts)
    step(ketua, "pembukaan_ditandatangani")
    _post(ketua, "/checklist/report/opening", "/checklist/", printer="receipt")
    _post(anggota, "/incidents/", "/incidents/", kind="kejadian", text="Hujan deras", reporter="")
    _post(anggota, "/incidents/", "/incidents/", kind="keberatan", text="DPT", reporter="Saksi 02")
    clock.advance(4 * 3600)  # 11.05: the DPTb reminder is due
    step(anggota, "pemungutan_berjalan")
    assert _post(ketua, "/selftest/", "/selftest/").status_code == 302
    # PPWP numbers confirmed, its page scanned, the document signed and copied on both printers.
    doc = signed_document(ketua)
    for printer in ("receipt", "a4"):
        _post(ketua, f"/documents/{doc}/print", f"/documents/{doc}", printer=printer)
    # DPR's first entry typed, not yet confirmed.
    anggota.post("/chasil/DPR/1", data=form(GOOD, csrf_token(anggota, "/chasil/DPR/1")))
    # DPD's sheet scanned from the wrong sheet: held for its form, kept only with a reason.
    app.extensions["kiosk"].devices.scanner.feed_wrong_sheet()
    _post(anggota, "/chasil/DPD/scan", "/chasil/DPD/scan", source="flatbed")


@pytest.fixture(scope="module")
def day(tmp_path_factory) -> Iterator[Flask]:
    settings = day_settings(tmp_path_factory.mktemp("languages") / "data")
    clock = ManualClock(_at(6, 0))
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    _sample_day(app, clock)
    yield app
    app.extensions["kiosk"].close()


def _url(app: Flask, rule: str) -> str:
    db = app.extensions["kiosk"].db
    first = {
        "page_id": db.read("SELECT id FROM scan_page ORDER BY id LIMIT 1"),
        "doc_id": db.read("SELECT id FROM document ORDER BY id LIMIT 1"),
    }
    values = {"ballot_type": "PPWP", "entry_no": "1", "officer_id": "kpps2", "code": "en"}
    values["step_id"] = "surat_suara_diterima"  # a checklist step with its recorded numbers
    values |= {k: str(v[0]["id"]) for k, v in first.items() if v}
    if rule.endswith("/use"):  # a page held for its form
        held = db.read("SELECT id, ballot FROM scan_page WHERE problem = 'wrong_form' LIMIT 1")
        values |= {"page_id": str(held[0]["id"]), "ballot_type": held[0]["ballot"]}
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values[m.group(1)], rule)


def screens(app: Flask, language: str) -> Iterator[tuple[str, str]]:
    """(url, visible text) of every HTML screen, as the Ketua (trainer pages: the trainer)."""
    clients = {}
    for who in ("kpps1", "pelatih"):
        client = app.test_client()
        assert login(client, who).status_code == 302
        with client.session_transaction() as sess:
            sess["lang"] = language
        clients[who] = client
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or rule.endpoint in SKIP:
            continue
        url = _url(app, rule.rule)
        who = "pelatih" if rule.endpoint.startswith("trainer.") else "kpps1"
        resp = clients[who].get(url)
        assert resp.status_code == 200, f"{url}: {resp.status_code}"
        yield url, visible_text(resp.get_data(as_text=True))
    # Step screens reached by the same rule with other values: a phase's sign-off, the copies'
    # print and receipt steps, the blind second entry.
    doc = app.extensions["kiosk"].db.read("SELECT id FROM document ORDER BY id LIMIT 1")[0]["id"]
    for url in (
        "/checklist/step/pembukaan_ditandatangani",
        f"/documents/{doc}?step=2",
        f"/documents/{doc}?step=3",
        "/chasil/DPR/2",
    ):
        resp = clients["kpps1"].get(url)
        assert resp.status_code == 200, f"{url}: {resp.status_code}"
        yield url, visible_text(resp.get_data(as_text=True))
    # The printed reports, as their lines go to paper: the day's reports as the service makes
    # them for the printer, the self-test report as it prints.
    import kiosk.checklist.service as checklist_service

    made: list[tuple[str, list[str]]] = []
    day_report = checklist_service.day_report

    def keep(*args: object, **kwargs: object) -> tuple[str, list[str]]:
        made.append(day_report(*args, **kwargs))  # type: ignore[arg-type]
        return made[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(checklist_service, "day_report", keep)
        for which in REPORTS:
            resp = _post(clients["kpps1"], f"/checklist/report/{which}", "/checklist/")
            assert resp.status_code == 302
            title, lines = made.pop()
            yield f"report {which}", " ".join([title, *lines])
    services = app.extensions["kiosk"].services
    with app.test_request_context(), force_locale(language):
        report = services.selftest.last_report()
        assert report is not None
        yield "self-test report", " ".join(services.selftest.report_lines(report))


def _officer_ids() -> set[str]:
    profile = tomllib.loads(SAMPLE_PROFILE.read_text(encoding="utf-8"))
    return {o["id"] for o in profile["officers"]} - {"teknisi", "pelatih"}


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_screen_speaks_one_language(day, language):
    english, indonesian = vocabularies()
    foreign = english if language == "id" else indonesian
    problems = []
    seen = 0
    for url, text in screens(day, language):
        seen += 1
        if url in ZONED:  # records' times are on the TPS's clock, with its zone
            assert "WITA" in text, f"{url}: no time with its zone"
        problems += [f"{url}: {leak}" for leak in leaks(text, foreign, _officer_ids())]
    assert seen >= 20
    assert not problems, f"{len(problems)} leaks:\n" + "\n".join(problems)


def test_the_leak_finder_sees_what_it_must():
    english, indonesian = vocabularies()
    assert "printer" not in english | indonesian  # the same word in both: neutral
    assert leaks("Siap — Ready", english, set()) == ["'Ready' in …Siap — Ready…"]
    assert leaks("Pemilih mulai dilayani", indonesian, set())
    assert leaks("status cover_open", english, set())
    assert leaks("set 2026-11-30T12:58+00:00", english, set())
    assert leaks("oleh kpps1", english, {"kpps1"})
    assert not leaks("TPS 6474010001005 · Kelurahan Sukamaju · PPWP 285", english, {"kpps1"})
    text = visible_text(
        '<p>Siap<script>var ready = 1;</script><input type="submit" value="Save">'
        '<a title="Ready" href="/x">Ok</a></p>'
    )
    assert text == "Siap Save Ok"


def test_a_missing_or_untranslated_english_text_is_refused_naming_the_step():
    from kiosk.checklist.model import FILES, ChecklistError, parse

    text = FILES["pemilu"].read_text(encoding="utf-8")
    missing = text.replace(
        'title_en = "Oath/pledge of the KPPS and the TPS security officers"\n', ""
    )
    with pytest.raises(ChecklistError) as exc:
        parse(missing)
    assert "langkah sumpah" in str(exc.value) and "title_en" in str(exc.value)
    same = text.replace(
        'text_en = "DPTb voters (moved here, with a Model A form) are now served."',
        'text_en = "Pemilih DPTb (pindahan, dengan Model A) mulai dilayani."',
    )
    with pytest.raises(ChecklistError, match="pengingat 11:00: text_en belum diterjemahkan"):
        parse(same)


def test_data_file_texts_follow_the_screen_language():
    from kiosk.checklist.model import load
    from kiosk.i18n import in_language

    checklist = load("pemilu")
    _phase, step = checklist.step("sumpah")
    with in_language("en"):
        assert f"{step.title}" == "Oath/pledge of the KPPS and the TPS security officers"
        assert str(checklist.phases[0].title) == "Preparation"
        assert str(checklist.reminders[0].text).startswith("DPTb voters")
    with in_language("id"):
        assert str(step.title) == "Sumpah/janji KPPS dan petugas ketertiban TPS"
    assert step.title == "Sumpah/janji KPPS dan petugas ketertiban TPS"  # compared as stored


def test_every_audit_event_has_words():
    from kiosk.audit import Event
    from kiosk.services.audit_trail import EVENT_NAMES

    assert sorted(e.value for e in Event if e.value not in EVENT_NAMES) == []


def test_self_test_times_are_the_kiosk_clock_with_the_zone(day):
    """The Ketua moved the clock 50 minutes forward at 06.00: the 10.15 self-test reads 11.05."""
    kiosk = day.extensions["kiosk"]
    with day.test_request_context(), force_locale("en"):
        report = kiosk.services.selftest.last_report()
        assert report["created_shown"] == "14-02-2024 11:05 WITA"
        (clock,) = [c for c in report["checks"] if c["name"] == "clock"]
        assert clock["params"]["time"] == "2024-02-14T11:05:00+08:00"
        (disk,) = [c for c in report["checks"] if c["name"] == "disk"]
        assert disk["code"] == "free_space" and disk["detail"].endswith(" MiB free")
    with day.test_request_context(), force_locale("id"):
        detail = kiosk.services.selftest.last_report()["checks"]
        assert [c["detail"] for c in detail if c["name"] == "receipt_printer"] == [
            "siap; kertas selebar 576 titik"
        ]


def test_a_self_test_report_stored_before_the_detail_codes_still_reads(day):
    """Old rows carry only the technician's ``detail``: shown as it was stored."""
    import json

    kiosk = day.extensions["kiosk"]
    old = {
        "created": "2024-02-14T06:10:00+08:00",
        "ready": True,
        "checks": [
            {
                "name": "disk",
                "ok": True,
                "required": True,
                "configured": True,
                "detail": "5120 MiB free",
                "error": None,
            },
        ],
    }
    with kiosk.db.write() as conn:
        conn.execute(
            "INSERT INTO selftest_report (created_wall, created_mono, ok, report_json)"
            " VALUES (?, 0, 1, ?)",
            (old["created"], json.dumps(old)),
        )
    with day.test_request_context(), force_locale("id"):
        report = kiosk.services.selftest.last_report()
        assert report["checks"][0]["detail"] == "5120 MiB free"
        assert report["created_shown"] == "14-02-2024 06:10 WITA"
        lines = kiosk.services.selftest.report_lines(report)
    assert "OK — Ruang kosong: 5120 MiB free" in lines


def test_a_refusal_names_the_missing_steps_in_the_screen_language(tmp_path):
    settings = Settings.from_values(data_dir=tmp_path / "data", hardware="fake", training=True)
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=ManualClock(_at(6, 0)))
    try:
        ketua = app.test_client()
        assert login(ketua, "kpps1").status_code == 302
        with ketua.session_transaction() as sess:
            sess["lang"] = "en"
        _post(ketua, "/checklist/persiapan_ditandatangani", "/checklist/")
        page = visible_text(ketua.get("/checklist/").get_data(as_text=True))
    finally:
        app.extensions["kiosk"].close()
    assert "Supplies checked against the box's contents list" in page
    assert "Logistik dicocokkan" not in page.split("Preparation")[0]
