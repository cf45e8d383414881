"""The ``tps-kiosk`` command: serve, demo, selftest, settings."""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlparse

from kiosk import settings as settings_mod
from kiosk.errors import KioskError
from kiosk.settings import Settings, SettingsError

log = logging.getLogger("kiosk")

EXIT_NOT_READY = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tps-kiosk", description="TPS Kiosk for polling stations.")
    p.add_argument("--config", type=Path, help="TOML settings file (else $KIOSK_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the kiosk web app with the production server (waitress)")
    demo = sub.add_parser("demo", help="run with every device fake, a sample TPS and SIMULASI")
    demo.add_argument("--port", type=int, help="TCP port (default: the port setting)")
    demo.add_argument(
        "--data-dir",
        type=Path,
        help="where the demo keeps its data (default ~/.local/share/tps-kiosk-demo)",
    )
    st = sub.add_parser("selftest", help="check every device; exit 1 if a required one fails")
    st.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    st.add_argument(
        "--test-print", action="store_true", help="also print a test page on each printer"
    )
    st.add_argument(
        "--print", choices=("receipt", "a4"), dest="print_to", help="print the readiness report"
    )
    prov = sub.add_parser("provision", help="validate and install a TPS profile (TOML)")
    prov.add_argument("file", type=Path)
    audit = sub.add_parser("audit", help="check or export the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="check the whole hash chain; exit 1 if broken")
    export = audit_sub.add_parser("export", help="write JSON Lines signed with the device key")
    export.add_argument("file", type=Path)
    sub.add_parser("worker", help="run the upload worker (drains the queue to the server)")
    queue = sub.add_parser("queue", help="the upload queue: list, retry now, export to USB")
    queue_sub = queue.add_subparsers(dest="queue_command", required=True)
    queue_sub.add_parser("list", help="one line per document")
    queue_sub.add_parser("retry", help="every unsent document is due now")
    usb = queue_sub.add_parser("export", help="write the day's signed bundle to a folder (USB)")
    usb.add_argument("folder", type=Path)
    sub.add_parser("key", help="the device key's fingerprint and public key (to register it)")
    db = sub.add_parser("db", help="the database: check, back up, restore or rebuild")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("check", help="integrity and reconciliation; exit 1 on a problem")
    db_sub.add_parser("backup", help="write kiosk.sqlite3.bak now (also done automatically)")
    db_sub.add_parser(
        "restore", help="restore from the backup, or rebuild from the signed documents"
    )
    sub.add_parser("collector", help="the reference collector (run 'collector --help')")
    sub.add_parser("fleet", help="per-TPS provisioning files and SD cards (run 'fleet --help')")
    sub.add_parser(
        "firstboot", help="first boot: install the signed provisioning file from the card, once"
    )
    roles = sub.add_parser("roles", help="the permission table")
    roles.add_argument("--markdown", action="store_true", help="the README table")
    sett = sub.add_parser("settings", help="list every setting")
    sett.add_argument("--markdown", action="store_true", help="the README table")
    return p


def _check_bind(settings: Settings) -> None:
    try:
        loopback = ipaddress.ip_address(settings.bind).is_loopback
    except ValueError:
        loopback = settings.bind == "localhost"
    if not loopback and not settings.allow_remote_bind:
        raise SettingsError(
            f"bind = {settings.bind!r} is not a loopback address; the kiosk serves only the "
            "local screen. Set allow_remote_bind = true if you really mean it."
        )


def _serve(settings: Settings, provision_from: Path | None = None) -> int:
    from waitress.server import BaseWSGIServer, create_server

    from kiosk import create_app
    from kiosk.heap import give_memory_back
    from kiosk.sdnotify import HttpHealth, Watchdog, watchdog_interval_s

    _check_bind(settings)
    give_memory_back()  # before create_app starts the background threads
    app = create_app(settings, provision_from=provision_from)
    fault = app.extensions.get("kiosk_fault")
    if fault is not None:  # the screen shows the same guidance on every page
        from kiosk.cli_db import fault_sentence

        print(f"tps-kiosk serve: {fault_sentence(fault, settings.language)}", file=sys.stderr)
    server = create_server(
        app, host=settings.bind, port=settings.port, threads=8, ident="tps-kiosk"
    )
    if isinstance(server, BaseWSGIServer):
        port = int(server.getsockname()[1])  # the bound port (the setting may be 0)
    else:  # a name such as "localhost": one socket per address, all on one port
        port = int(server.effective_listen[0][1])
    log.info(
        "TPS Kiosk on http://%s:%d/%s",
        settings.bind,
        port,
        " (SIMULASI)" if settings.training else "",
    )
    # Listening now: systemd may start the browser. Under WatchdogSec= the app is fed only
    # while its own /health answers through this socket (a wedged app gets restarted).
    interval_s = watchdog_interval_s()
    health = HttpHealth(settings.bind, port, timeout_s=(interval_s or 10) / 2)
    watchdog = Watchdog(health, interval_s)
    watchdog.ready(status=f"serving on port {port}")
    try:
        server.run()
    finally:
        watchdog.stop()
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from kiosk.tps import SAMPLE_PROFILE

    data_dir = args.data_dir
    if data_dir is None and "KIOSK_DATA_DIR" not in os.environ:
        data_dir = Path.home() / ".local" / "share" / "tps-kiosk-demo"
    values: dict[str, object] = {"hardware": "fake", "training": True}
    if data_dir is not None:
        values["data_dir"] = data_dir
    if args.port is not None:
        values["port"] = args.port
    demo = settings.replace(**values)
    companions = _demo_companions(demo, SAMPLE_PROFILE)
    try:
        return _serve(demo, provision_from=SAMPLE_PROFILE)
    finally:
        for proc in companions:
            proc.terminate()


def _demo_companions(settings: Settings, profile: Path) -> list[subprocess.Popen[bytes]]:
    """The demo's upload worker and the training collector its sample profile points at
    (127.0.0.1:8081, accepting training documents, trusting the demo kiosk's key on first use),
    so the queue drains on a laptop. Each dies with the demo (parent-death signal)."""
    from kiosk.profile import parse_profile

    endpoint = urlparse(parse_profile(profile.read_text(encoding="utf-8")).upload_endpoint)
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "KIOSK_DATA_DIR": str(data_dir), "KIOSK_TRAINING": "1"}
    python = ["setpriv", "--pdeathsig", "TERM", sys.executable, "-m"]
    commands = [[*python, "kiosk", "worker"]]
    if endpoint.hostname == "127.0.0.1" and endpoint.port:
        commands.insert(
            0,
            [
                *python,
                "kiosk.collector",
                "serve",
                "--data",
                str(data_dir / "collector"),
                "--port",
                str(endpoint.port),
                "--accept-training",
                "--trust-first-use",
            ],
        )
    log_file = (data_dir / "demo-companions.log").open("ab")
    return [
        subprocess.Popen(c, stdout=log_file, stderr=subprocess.STDOUT, env=env) for c in commands
    ]


def _selftest(settings: Settings, args: argparse.Namespace) -> int:
    """The devices and the self-test service only: no web app, no background threads, no
    lights switched."""
    from kiosk.core import open_core
    from kiosk.db import Database
    from kiosk.devices import open_devices
    from kiosk.errors import guidance_for
    from kiosk.i18n import in_language
    from kiosk.integrity import DB_FILE, assess
    from kiosk.services.provisioning import installed_profile
    from kiosk.services.selftest import SelftestService

    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    # A missing or damaged database is never opened for writing (nor migrated): the devices are
    # checked all the same and the database check fails with the technician's next action.
    core = open_core(settings) if assess(data_dir) is None else None
    profile = installed_profile(data_dir) if core is not None else None
    devices = open_devices(settings.device_config())
    service = SelftestService(
        devices,
        core.db if core is not None else Database(data_dir / DB_FILE),
        core.audit if core is not None else None,
        data_dir,
        settings.min_free_mb,
        settings.required,
        bool(settings.training),
        profile.identity if profile is not None else None,
        now=core.clock.now if core is not None else None,
    )
    try:
        with in_language(settings.language):
            report = service.check(args.test_print)

            def explain(error: BaseException) -> str:
                g = guidance_for(error)
                return f"{g.title}. {g.text}"

            doc = report.to_json(explain)
            lines = (
                service.report_lines(doc)
                if core is not None
                else [
                    f"{'OK' if c['ok'] else 'GAGAL'} — {c['name']}: {c['detail']}"
                    for c in doc["checks"]
                ]
            )
            if args.json:
                print(json.dumps(doc, ensure_ascii=False, indent=2))
            else:
                for line in lines:
                    print(line)
                for check in doc["checks"]:
                    if "message" in check:
                        print(f"  -> {check['message']}")
            if args.print_to:
                service.print_lines(lines, args.print_to)
    finally:
        devices.close()
        if core is not None:
            core.close()
    return 0 if report.ready else EXIT_NOT_READY


def _admin(settings: Settings, args: argparse.Namespace) -> int:
    from kiosk.cli_admin import audit_command, provision_command

    if args.command == "provision":
        return provision_command(settings, args.file)
    return audit_command(settings, args.audit_command, getattr(args, "file", None))


def _firstboot(settings: Settings, args: argparse.Namespace) -> int:
    from kiosk.fleet.firstboot import firstboot_command

    return firstboot_command(settings)


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from kiosk.heap import give_memory_back
    from kiosk.upload.run import worker_command
    from kiosk.upload.worker import WorkerBusy

    give_memory_back()
    try:
        return worker_command(settings)
    except WorkerBusy as exc:
        print(f"tps-kiosk worker: {exc}", file=sys.stderr)
        return 1


def _queue(settings: Settings, args: argparse.Namespace) -> int:
    from kiosk.upload.cli import key_command, queue_command

    if args.command == "key":
        return key_command(settings)
    return queue_command(settings, args.queue_command, getattr(args, "folder", None))


def _db(settings: Settings, args: argparse.Namespace) -> int:
    from kiosk.cli_db import db_command

    return db_command(settings, args.db_command)


def _tables(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "roles":
        from kiosk.roles import markdown_table

        print(markdown_table(), end="")
    elif args.markdown:
        print(settings_mod.markdown_table(), end="")
    else:
        for s in settings_mod.DECLARED:
            print(f"{s.name} = {getattr(settings, s.name)!r}  ({s.env})")
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "serve": lambda settings, args: _serve(settings),
    "demo": _demo,
    "selftest": _selftest,
    "provision": _admin,
    "audit": _admin,
    "firstboot": _firstboot,
    "worker": _worker,
    "queue": _queue,
    "key": _queue,
    "db": _db,
    "roles": _tables,
    "settings": _tables,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["collector"]:  # its own command line, and no kiosk settings
        from kiosk.collector.cli import main as collector_main

        return int(collector_main(argv[1:]))
    if argv[:1] == ["fleet"]:  # the technician's PC: its own command line, no kiosk settings
        from kiosk.fleet.cli import main as fleet_main

        return int(fleet_main(argv[1:]))
    args = _parser().parse_args(argv)
    try:
        settings = settings_mod.load(args.config)
    except SettingsError as exc:
        print(f"tps-kiosk: setting error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return COMMANDS[args.command](settings, args)
    except SettingsError as exc:
        print(f"tps-kiosk: setting error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (KioskError, sqlite3.Error, OSError) as exc:
        # A full disk or a missing/damaged database: one sentence, never a traceback.
        from kiosk.cli_db import fault_sentence
        from kiosk.storage_faults import storage_fault

        fault = storage_fault(exc, Path(settings.data_dir))
        if fault is None:
            raise
        log.debug("storage fault", exc_info=exc)
        print(
            f"tps-kiosk {args.command}: {fault_sentence(fault, settings.language)}", file=sys.stderr
        )
        print(f"  ({fault})", file=sys.stderr)
        return EXIT_NOT_READY


if __name__ == "__main__":
    sys.exit(main())
