"""The C.Hasil services hold their rules themselves: each "no" is a refusal code with wording,
whichever screen or command asks (kiosk.chasil.service, documents, copies)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from kiosk.chasil.copies import CopyService
from kiosk.chasil.documents import DocumentService
from kiosk.chasil.refusals import ChasilCode, CopyCode, DocumentCode
from kiosk.chasil.renditions import rendition_path
from kiosk.chasil.service import ChasilService
from kiosk.refusals import KioskCode, Refused
from tests.chasil.test_chasil_http import GOOD
from tests.chasil.test_checks import consistent_boxes
from tests.kiosk.conftest import PINS

MANY_INVALID = consistent_boxes(140, 139, (101, 108), (3, 2), (1, 0), (2, 1), [50, 100, 30], 2)


def _as(kiosk, officer_id):
    return kiosk.services.auth.login(officer_id, PINS[officer_id], None)


def _code(call, *args):
    with pytest.raises(Refused) as refused:
        call(*args)
    return refused.value.code


def test_second_entry_by_the_same_officer_is_refused_by_the_service(kiosk):
    chasil = kiosk.services.chasil
    anggota, other = _as(kiosk, "kpps2"), _as(kiosk, "kpps3")
    chasil.save_entry("PPWP", 1, dict(GOOD), anggota)
    assert _code(chasil.save_entry, "PPWP", 2, dict(GOOD), anggota) is ChasilCode.SAME_OFFICER
    assert chasil.latest("PPWP", 2) is None
    assert [r["kind"] for r in kiosk.audit.rows()].count("chasil_entered") == 1
    chasil.save_entry("PPWP", 2, dict(GOOD), other)
    assert chasil.latest("PPWP", 2) == GOOD
    assert chasil.entry_status()["PPWP"].second


def test_confirmation_refusals_say_why(kiosk):
    chasil, ketua = kiosk.services.chasil, _as(kiosk, "kpps1")
    assert _code(chasil.confirm, "PPWP", ketua, "") is ChasilCode.NO_NUMBERS
    chasil.save_entry("PPWP", 1, {**GOOD, "SS2": GOOD["SS2"] - 1}, ketua)
    assert _code(chasil.confirm, "PPWP", ketua, "a note") is ChasilCode.DO_NOT_ADD_UP
    chasil.save_entry("PPWP", 1, dict(MANY_INVALID), ketua)
    assert _code(chasil.confirm, "PPWP", ketua, "  ") is ChasilCode.NOTE_NEEDED
    assert chasil.confirmed_ballots() == set()
    chasil.confirm("PPWP", ketua, "Banyak surat suara dicoblos dua kali.")
    assert chasil.confirmed_ballots() == {"PPWP"}
    confirmed = chasil.confirmed("PPWP")
    assert confirmed is not None and confirmed.warnings == [15]
    assert (confirmed.officer_id, confirmed.officer_name, confirmed.role) == (
        "kpps1",
        "Siti Aminah",
        "ketua",
    )


def test_unknown_ballot_is_a_refusal_not_a_key_error(kiosk):
    s, ketua = kiosk.services, _as(kiosk, "kpps1")
    assert _code(s.chasil.check, "DPRD_KAB", {}) is KioskCode.UNKNOWN_BALLOT
    assert _code(s.chasil.save_entry, "DPRD_KAB", 1, {}, ketua) is KioskCode.UNKNOWN_BALLOT
    assert _code(s.chasil.confirm, "DPRD_KAB", ketua, "") is KioskCode.UNKNOWN_BALLOT
    assert _code(s.documents.pages, "DPRD_KAB") is KioskCode.UNKNOWN_BALLOT
    assert _code(s.documents.finish, "DPRD_KAB", ketua) is KioskCode.UNKNOWN_BALLOT


def test_a_document_waits_for_confirmed_numbers_then_for_readable_pages(kiosk):
    s, ketua = kiosk.services, _as(kiosk, "kpps1")
    assert _code(s.documents.finish, "PPWP", ketua) is DocumentCode.NOT_CONFIRMED
    s.chasil.save_entry("PPWP", 1, dict(GOOD), ketua)
    s.chasil.confirm("PPWP", ketua, "")
    assert _code(s.documents.finish, "PPWP", ketua) is DocumentCode.PAGES_NOT_READY
    assert s.documents.scan("PPWP", ketua, feeder=True).accepted == 2
    (page, _second) = s.documents.pages("PPWP")
    assert _code(s.documents.scan, "PPWP", ketua, False, 10**6) is DocumentCode.UNKNOWN_PAGE
    assert _code(s.documents.page_image, "DPR", page.id) is DocumentCode.UNKNOWN_PAGE
    assert s.documents.page_image("PPWP", page.id) == rendition_path(page.path)
    doc = s.documents.finish("PPWP", ketua)
    assert s.documents.signed_ballots() == {"PPWP"}
    # Copies print the images the PDF holds: each page's rendition, beside its archival file.
    renditions = [rendition_path(p.path) for p in s.documents.pages("PPWP")]
    assert [p.path for p in s.documents.pages_of(doc)] == renditions
    assert all(r.exists() for r in renditions)
    assert _code(s.documents.document, doc.id + 1) is DocumentCode.UNKNOWN_DOCUMENT
    assert _code(s.documents.document, 2**63) is DocumentCode.UNKNOWN_DOCUMENT
    assert _code(s.copies.reprint, doc, 1, ketua) is CopyCode.UNKNOWN_COPY
    assert _code(s.copies.set_present_list, doc, {10**6}) is CopyCode.UNKNOWN_RECIPIENT


def test_an_unprovisioned_kiosk_refuses_instead_of_failing(kiosk):
    chasil = ChasilService(kiosk.db, kiosk.audit, kiosk.clock, None)
    documents = DocumentService(
        kiosk.db,
        kiosk.audit,
        kiosk.clock,
        kiosk.settings.data_dir,
        None,
        True,
        numbers=chasil,
        scanner=None,
        signing_key=lambda: pytest.fail("no key is needed to refuse"),
        dpi=300,
    )
    copies = CopyService(kiosk.db, kiosk.audit, kiosk.clock, None, documents, None, None)
    ketua = _as(kiosk, "kpps1")
    for call, args in (
        (chasil.ballots, ()),
        (chasil.check, ("PPWP", {})),
        (documents.finish, ("PPWP", ketua)),
        (documents.discard, (1,)),
        (copies.recipients, ("PPWP",)),
    ):
        assert _code(call, *args) is KioskCode.NOT_PROVISIONED


@pytest.mark.parametrize("codes", [ChasilCode, DocumentCode, CopyCode])
def test_every_code_has_its_own_sentence_in_both_languages(app, codes):
    params = {"ballot": "PPWP", "page": 7, "document": 3, "copy": 4, "recipient": 5}
    with app.test_request_context():
        for code in codes:
            with force_locale("en"):
                english = Refused(code, **params).message()
            with force_locale("id"):
                indonesian = Refused(code, **params).message()
            assert english and indonesian and english != indonesian, code
