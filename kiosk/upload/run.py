"""``tps-kiosk worker``: the upload worker process, built from the settings."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from kiosk.core import Core, open_core
from kiosk.db import Database
from kiosk.sdnotify import notify
from kiosk.services.provisioning import PROFILE_FILE, installed_profile
from kiosk.settings import Settings
from kiosk.training.network import NetworkSwitch
from kiosk.upload.adapter import NetworkDown, NotConfigured, Uploader, UploadItem
from kiosk.upload.outbox import Outbox, Receipt
from kiosk.upload.record_sender import RecordPoster, RecordQueue, RecordTus
from kiosk.upload.tus import TusUploader, abandon_wait
from kiosk.upload.worker import Backoff, Worker, single_worker

log = logging.getLogger(__name__)


class NoServer:
    """The uploader of a kiosk with no collector URL (not provisioned): documents wait, and
    can go by USB export."""

    def probe(self) -> bool:
        return False

    def receipt(self, key: str) -> Receipt | None:
        raise NotConfigured("no upload_endpoint is set")

    def send(self, item: UploadItem, on_progress: object) -> Receipt:
        raise NotConfigured("no upload_endpoint is set")


class TrainingNetwork:
    """An Uploader that behaves as if the network were gone while the trainer's switch is on
    (``down()``, kiosk.training.network): the probe finds nothing and every server call raises
    NetworkDown, exactly what a pulled cable gives the worker. With the switch off it passes
    every call through."""

    SIMULATED = "simulasi: the trainer switched the network off"

    def __init__(self, inner: Uploader, down: Callable[[], bool]) -> None:
        self.inner = inner
        self.down = down

    def _check(self) -> None:
        if self.down():
            raise NetworkDown(self.SIMULATED)

    def probe(self) -> bool:
        if self.down():
            return False
        return self.inner.probe()

    def receipt(self, key: str) -> Receipt | None:
        self._check()
        return self.inner.receipt(key)

    def send(self, item: UploadItem, on_progress: Callable[[str, int], None]) -> Receipt:
        self._check()
        return self.inner.send(item, on_progress)


def make_uploader(settings: Settings, db: Database) -> Uploader:
    """The adapter for this kiosk: the collector URL and credential come from the installed
    TPS profile (``upload_endpoint`` may override the URL). In training mode it obeys the
    trainer's "network down" switch, kept in ``db``."""
    profile = installed_profile(Path(settings.data_dir))
    endpoint = settings.upload_endpoint or (profile.upload_endpoint if profile else "")
    uploader: Uploader = NoServer()
    if endpoint:
        uploader = TusUploader(
            endpoint,
            token=profile.upload_token if profile else "",
            chunk_size=settings.upload_chunk_kb * 1024,
            timeout_s=settings.upload_timeout_s,
            receipt_mode=settings.upload_receipt,
        )
    if settings.training:
        uploader = TrainingNetwork(uploader, NetworkSwitch(db).down)
    return uploader


def make_worker(core: Core) -> Worker:
    settings = core.settings
    outbox = Outbox(core.db, core.clock, core.data_dir)
    uploader = make_uploader(settings, core.db)
    return Worker(
        outbox,
        uploader,
        Backoff(base_s=settings.upload_backoff_base_s, cap_s=settings.upload_backoff_cap_s),
        probe_every_s=settings.upload_probe_s,
        audit=core.audit,
        records=RecordQueue(outbox, make_record_poster(settings, core.db, uploader), core.audit),
    )


def make_record_poster(
    settings: Settings, db: Database, uploader: Uploader | None = None
) -> RecordPoster | RecordTus | None:
    """Where result records go: the collector of the tus endpoint (None without one); to a
    server that speaks only tus, each its own tus upload through the documents' ``uploader``."""
    profile = installed_profile(Path(settings.data_dir))
    endpoint = settings.upload_endpoint or (profile.upload_endpoint if profile else "")
    if not endpoint:
        return None
    if settings.upload_receipt == "tus_completion":
        return RecordTus(uploader or make_uploader(settings, db))
    down = NetworkSwitch(db).down if settings.training else (lambda: False)
    return RecordPoster(
        endpoint, profile.upload_token if profile else "", settings.upload_timeout_s, down
    )


def clock_follower(core: Core) -> Callable[[], None]:
    """What the worker does on each beat to keep its clock the web app's: take up a clock
    correction the Ketua saved meanwhile, and the TPS's zone once a profile is installed or
    replaced while the worker runs (it then records times in WITA, not the machine's UTC).
    The profile is read again only when its file changes."""
    seen = _stamp(core.data_dir / PROFILE_FILE)  # open_core applied this one's zone

    def follow() -> None:
        nonlocal seen
        core.refresh_clock()
        stamp = _stamp(core.data_dir / PROFILE_FILE)
        if stamp == seen:
            return
        seen = stamp
        profile = installed_profile(core.data_dir)
        if profile is not None:
            core.use_zone(profile.identity.code)
            log.info("TPS %s installed: times in its zone", profile.identity.code)

    return follow


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


def worker_command(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT; raises WorkerBusy when another worker holds the data
    directory."""
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = single_worker(data_dir)
    try:  # refuses a missing or damaged database: the technician runs tps-kiosk db restore
        core = open_core(settings)
    except BaseException:
        lock.close()
        raise
    worker = make_worker(core)
    follow = clock_follower(core)

    def beat() -> None:
        follow()
        notify("WATCHDOG=1")

    worker.heartbeat = beat
    stop = threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        # The worker may be waiting on a slow upload: leave that request now (the job goes
        # back to pending and resumes at the next start), within the unit's TimeoutStopSec.
        stop.set()
        abandon_wait()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    log.info("upload worker on %s", data_dir)
    notify("READY=1")
    try:
        worker.run(stop)
    finally:
        core.close()
        lock.close()
    return 0
