"""The queue service (services.queue, ``tps-kiosk queue``): why a job waits, in one wording
table; refusals of USB export as codes; auditing by whoever acts."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.core import open_core
from kiosk.devicekey import key_path
from kiosk.i18n import LANGUAGES, in_language
from kiosk.refusals import KioskCode, Refused
from kiosk.settings import Settings
from kiosk.upload.explain import job_message
from kiosk.upload.outbox import Job
from kiosk.upload.queue import queue_service
from kiosk.upload.refusals import EXPORT_WORDING, UPLOAD_WORDING, ExportCode, UploadProblem
from tests.upload.docs import signed_documents


@pytest.fixture
def core(tmp_path):
    settings = Settings.from_values(data_dir=tmp_path / "data", usb_export_root=tmp_path / "m")
    signed_documents(settings.data_dir, 2)
    core = open_core(settings)
    yield core
    core.close()


def _stored(core, job_id: int, state: str, code: str) -> Job:
    with core.db.write() as conn:
        conn.execute(
            "UPDATE upload_job SET state = ?, error_code = ? WHERE id = ?", (state, code, job_id)
        )
    return queue_service(core, None).jobs()[0].job


def test_every_stored_error_code_reads_back_as_its_member():
    for problem in UploadProblem:
        assert UploadProblem.stored(problem.value) is problem
    assert UploadProblem.stored("error") is UploadProblem.UNKNOWN  # the old adapter base code
    assert UploadProblem.stored("sirekap_quota") is UploadProblem.UNKNOWN


@pytest.mark.parametrize("state", ["pending", "failed"])
def test_an_unknown_stored_code_says_so_instead_of_no_network(core, state):
    job = _stored(core, 1, state, "sirekap_quota")
    with in_language("id"):
        words = job_message(job, "10:15")
    assert "Tidak ada jaringan" not in words and "Server menolak" not in words
    assert words == (
        "Belum terkirim: kios ini tidak mengenal alasan yang tercatat (sirekap_quota). "
        "Hubungi teknisi; dokumen tetap tersimpan di kios."
    )


def test_the_words_of_stored_codes_are_the_ones_the_screen_always_showed(core):
    with in_language("en"):
        assert job_message(_stored(core, 1, "pending", "network"), "10:15") == (
            "No network — will try again at 10:15."
        )
        assert job_message(_stored(core, 1, "pending", ""), "10:15") == "Waiting to be sent."
        assert job_message(_stored(core, 1, "failed", "training_blocked"), "10:15") == (
            "Training documents are never sent to a real server."
        )
        # "Coba sekarang" made a refused job due again: it is waiting, not "no network".
        assert job_message(_stored(core, 1, "pending", "rejected"), "10:15") == (
            "Waiting to be sent."
        )


def test_every_upload_and_export_code_has_words_in_both_languages():
    params = {"time": "10:15", "code": "x"}
    for table in (UPLOAD_WORDING, EXPORT_WORDING):
        said = {}
        for language in LANGUAGES:
            with in_language(language):
                said[language] = {code: str(words) % params for code, words in table.items()}
        for code in table:
            assert said["en"][code] != said["id"][code], code  # translated
            assert "%(" not in said["id"][code], code
    with in_language("id"):
        assert Refused(ExportCode.DRIVE_READONLY, detail="EROFS").message() == (
            "Flashdisk tidak bisa ditulisi. Periksa tombol kuncinya atau gunakan flashdisk lain."
        )


def test_retry_now_is_audited_for_whoever_asked(core):
    queue = queue_service(core, None)
    assert queue.retry_now("teknisi-cli") == 2
    row = core.audit.rows()[0]
    assert (row["kind"], row["officer"]) == ("upload_retry", "teknisi-cli")


def test_export_of_an_unprovisioned_kiosk_is_refused_before_any_key_is_made(core, tmp_path):
    key_path(core.data_dir).unlink()
    queue = queue_service(core, None)
    with pytest.raises(Refused) as refused:
        queue.export(tmp_path, "teknisi-cli")
    assert refused.value.code is KioskCode.NOT_PROVISIONED
    with pytest.raises(Refused) as refused:
        queue.export_to_drive(str(tmp_path), "teknisi-cli")
    assert refused.value.code is KioskCode.NOT_PROVISIONED
    assert not key_path(core.data_dir).exists()
    assert not core.db.read("SELECT * FROM usb_export")


def test_the_queue_clears_its_training_day_but_never_an_unsent_real_job(core):
    queue = queue_service(core, None)
    assert queue.owns == ("upload_job", "result_record", "uplink", "usb_export")
    kept = "kept until the server has given its receipt"
    with pytest.raises(sqlite3.IntegrityError, match=kept), core.db.write() as conn:
        queue.clear_training_day(conn)
    with core.db.write() as conn:
        conn.execute("UPDATE upload_job SET training = 1")
        conn.execute("INSERT INTO uplink (id, online, checked_wall, detail) VALUES (1, 1, '', '')")
        assert queue.clear_training_day(conn) == {
            "upload_job": 2,
            "result_record": 0,
            "uplink": 1,
            "usb_export": 0,
        }
