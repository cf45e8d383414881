"""The trainer's "network down": the upload worker (built as ``tps-kiosk worker`` builds it, with
its own database connection) sends nothing while it is set, the queue screen says there is no
network, and everything goes out once the trainer brings the network back. Also the training
guard: training documents never go to a production collector."""

from __future__ import annotations

import pytest

from kiosk import create_app
from kiosk.audit import AuditLog
from kiosk.clock import OffsetClock, SystemClock
from kiosk.core import Core
from kiosk.db import Database
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from kiosk.upload.run import TrainingNetwork, make_uploader, make_worker
from kiosk.upload.tus import TusUploader
from tests.training.conftest import logged_in, press
from tests.upload.docs import signed_documents
from tests.upload.test_worker import collector_documents, drain, in_process_worker, tus_uploads


@pytest.fixture
def kiosk_app(tmp_path):
    """A training kiosk with two signed training documents queued, its upload endpoint set
    per test; yields ``make(endpoint) -> (app, settings)``."""
    apps = []

    def make(endpoint: str):
        data = tmp_path / "data"
        signed_documents(data, 2, endpoint=endpoint, training=True)
        settings = Settings.from_values(
            data_dir=data,
            hardware="fake",
            training=True,
            upload_endpoint=endpoint,
            upload_backoff_base_s=600,
            upload_backoff_cap_s=600,
        )
        app = create_app(settings, provision_from=SAMPLE_PROFILE)
        apps.append(app)
        return app, settings

    yield make
    for app in apps:
        app.extensions["kiosk"].close()


def requests_seen(collector) -> int:
    """How many HTTP requests the collector has answered (its access log)."""
    return collector.log().count("uvicorn.access")


def uploads_seen(collector) -> int:
    log = collector.log()
    return sum(log.count(f'"{method} /files') for method in ("POST", "PATCH", "HEAD"))


def worker_process_view(settings):
    """The worker as ``tps-kiosk worker`` makes it: its own Database object on the file."""
    db = Database(settings.data_dir / "kiosk.sqlite3")
    return make_worker(
        Core(
            settings,
            settings.data_dir,
            db,
            clock := OffsetClock(SystemClock()),
            AuditLog(db, clock),
        )
    ), db


def test_network_down_stops_the_worker_and_the_queue_screen_says_so(kiosk_app, collector_factory):
    collector = collector_factory(accept_training=True, trust_first_use=True)
    app, settings = kiosk_app(collector.files_url)
    trainer, ketua = logged_in(app, "pelatih"), logged_in(app, "kpps1")
    worker, db = worker_process_view(settings)
    assert isinstance(worker.uploader, TrainingNetwork)
    assert worker.probe() is True  # the collector is really there

    assert press(trainer, "fault", "network_down").status_code == 302
    before = requests_seen(collector)
    assert worker.probe() is False
    assert worker.step() is True  # it tried the first document...
    tried = [(j.state, j.error_code) for j in worker.outbox.jobs() if j.attempts]
    assert tried == [("pending", "network")]
    assert requests_seen(collector) == before  # ...and not one request left the kiosk
    assert tus_uploads(collector.data_dir) == []

    page = ketua.get("/antrian").get_data(as_text=True)
    assert 'data-online="no"' in page
    assert "Tidak ada jaringan. Pengiriman berlanjut sendiri saat jaringan kembali." in page
    assert "Tidak ada jaringan — akan dicoba lagi" in page

    # Back: the next probe finds the server and the waiting document is due at once, despite
    # its ten-minute backoff.
    assert press(trainer, "fault", "network_up").status_code == 302
    assert worker.probe() is True
    assert worker.outbox.next_due() is not None
    drain(worker, limit_s=60)
    assert [j.state for j in worker.outbox.jobs()] == ["sent", "sent"]
    assert len(collector_documents(collector.data_dir)) == 2
    assert 'data-online="yes"' in ketua.get("/antrian").get_data(as_text=True)
    db.close()


def test_production_worker_ignores_the_switch(tmp_path):
    settings = Settings.from_values(data_dir=tmp_path, upload_endpoint="http://127.0.0.1:9/f/")
    db = Database(tmp_path / "kiosk.sqlite3")
    db.migrate()
    assert isinstance(make_uploader(settings, db), TusUploader)
    db.close()


def test_training_documents_are_never_sent_to_a_production_collector(kiosk_app, collector_factory):
    collector = collector_factory(accept_training=False, trust_first_use=True)
    app, settings = kiosk_app(collector.files_url)
    worker = in_process_worker(settings.data_dir, collector.files_url)
    asked_before = collector.log().count("GET /health")
    drain(worker, limit_s=20)
    jobs = worker.outbox.jobs()
    assert [(j.state, j.error_code) for j in jobs] == [("failed", "training_blocked")] * 2
    assert worker.outbox.next_due() is None  # not retried by itself
    # The kiosk asked the server what it is, and sent it nothing.
    assert collector.log().count("GET /health") == asked_before + 2
    assert uploads_seen(collector) == 0
    assert tus_uploads(collector.data_dir) == []
    assert collector_documents(collector.data_dir) == []
    assert [r["kind"] for r in worker.audit.rows()].count("upload_failed") == 2

    page = logged_in(app, "kpps1").get("/antrian").get_data(as_text=True)
    assert page.count("Dokumen latihan tidak pernah dikirim ke server sungguhan.") == 2

    # "Coba sekarang" does not change the answer.
    assert worker.outbox.retry_now() == 2
    drain(worker, limit_s=20)
    assert {j.error_code for j in worker.outbox.jobs()} == {"training_blocked"}
    assert uploads_seen(collector) == 0


def test_training_documents_go_to_a_training_collector(kiosk_app, collector_factory):
    collector = collector_factory(accept_training=True, trust_first_use=True)
    _app, settings = kiosk_app(collector.files_url)
    worker = in_process_worker(settings.data_dir, collector.files_url)
    drain(worker)
    assert [j.state for j in worker.outbox.jobs()] == ["sent", "sent"]
    assert len(collector_documents(collector.data_dir)) == 2
    assert uploads_seen(collector) >= 4  # a creation and a chunk each
