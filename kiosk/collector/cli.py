"""The collector's command line: ``serve``, ``register``, ``devices``, ``import``, ``list``.

Run as ``tps-kiosk collector ...`` or ``python -m kiosk.collector ...``. Exit codes: 0 done,
1 something was refused (an import with a rejected bundle, a bad key), 2 usage. ``serve``
imports FastAPI, uvicorn and tuspyserver; the other commands do not need them.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.collector import record_store, store
from kiosk.collector.config import Collector, Load, Policy
from kiosk.upload.bundle import BundleInvalid

log = logging.getLogger(__name__)

DEFAULT_PORT = 8470
EXIT_REFUSED = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tps-kiosk collector", description="Reference collector for kiosk documents."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def with_data(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--data", type=Path, required=True, help="the collector's data folder")
        return p

    def with_policy(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--accept-training",
            action="store_true",
            help="training collector: accept training (latihan) documents and mark them",
        )
        p.add_argument(
            "--trust-first-use",
            action="store_true",
            help="register the first key seen for an unknown TPS (logged)",
        )

    serve = with_data("serve", "receive uploads (tus at /files/) and serve receipts")
    serve.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port (0: any free)")
    serve.add_argument(
        "--allow-remote-bind",
        action="store_true",
        help="allow a non-loopback --bind (put TLS and access control in front of it)",
    )
    with_policy(serve)
    serve.add_argument(
        "--max-uploads",
        type=int,
        default=Load.max_uploads,
        help="upload requests served at once; more get 503 + Retry-After (0: no limit)",
    )
    serve.add_argument(
        "--retry-after",
        type=int,
        default=Load.retry_after_s,
        help="seconds a shed upload is told to wait (Retry-After)",
    )

    register = with_data("register", "register a kiosk's public key for its TPS")
    register.add_argument("--tps", required=True, help="13-digit TPS code")
    register.add_argument("--public-key", required=True, help="raw Ed25519 public key, base64")

    with_data("devices", "list registered device keys and each one's latest audit head")

    imp = with_data("import", "import a kiosk's USB export folder")
    imp.add_argument("folder", type=Path, help="folder holding index.json and the bundles")
    with_policy(imp)

    with_data("list", "list received documents, newest first")
    with_data("records", "list each ballot's current result record and whether its scan came")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "serve":
        return _serve(args)
    if args.command == "register":
        return _register(args)
    if args.command == "devices":
        return _devices(args)
    if args.command == "import":
        return _import(args)
    if args.command == "records":
        return _records(args)
    return _list(args)


def _policy(args: argparse.Namespace) -> Policy:
    return Policy(accept_training=args.accept_training, trust_first_use=args.trust_first_use)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    if not is_loopback(args.bind) and not args.allow_remote_bind:
        sys.stderr.write(
            f"refusing to listen on {args.bind}: not a loopback address"
            " (use --allow-remote-bind behind TLS and access control)\n"
        )
        return EXIT_USAGE
    from kiosk.collector.server import serve

    load = Load(max_uploads=args.max_uploads, retry_after_s=args.retry_after)
    serve(Collector(args.data, _policy(args), load), args.bind, args.port)
    return 0


def _register(args: argparse.Namespace) -> int:
    from kiosk.collector.registry import register_key

    try:
        device = register_key(args.data, args.tps, args.public_key)
    except ValueError as exc:
        sys.stderr.write(f"cannot register: {exc}\n")
        return EXIT_REFUSED
    sys.stdout.write(f"registered {device.fingerprint} for TPS {device.tps_code}\n")
    return 0


def _devices(args: argparse.Namespace) -> int:
    from kiosk.collector.registry import devices

    conn = store.connect(Collector(args.data).db_path)
    try:
        heads = {(h.tps_code, h.device): h for h in store.latest_audit_heads(conn)}
        for d in devices(conn):
            line = f"{d.tps_code}  {d.fingerprint}  {d.registered}  {d.how}"
            head = heads.get((d.tps_code, d.fingerprint))
            if head is not None:
                line += (
                    f"  audit head: {head.count} rows {head.hash[:12]}"
                    f" (document {head.key[:12]}, {head.received}, {head.heads} heads)"
                )
            sys.stdout.write(line + "\n")
    finally:
        conn.close()
    return 0


def _import(args: argparse.Namespace) -> int:
    from kiosk.collector.usb_import import import_export

    try:
        results = import_export(Collector(args.data, _policy(args)), args.folder)
    except BundleInvalid as exc:
        sys.stdout.write(f"refused  {args.folder}  {exc.reason}: {exc.detail}\n")
        return EXIT_REFUSED
    for r in results:
        line = f"{r.status:9} {r.file}  {r.key[:12]}"
        if r.receipt is not None:
            line += f"  document {r.receipt.document_id}  sha256 {r.receipt.sha256[:12]}"
        if r.reason:
            line += f"  {r.reason}: {r.detail}"
        sys.stdout.write(line + "\n")
    return EXIT_REFUSED if any(r.status == "rejected" for r in results) else 0


def _list(args: argparse.Namespace) -> int:
    conn = store.connect(Collector(args.data).db_path)
    try:
        for d in store.documents(conn):
            training = "  LATIHAN" if d.training else ""
            sys.stdout.write(
                f"{d.tps_code}  {d.ballot:10} {d.received}  {d.source:3}  "
                f"{d.bundle_sha256[:12]}  {d.key}{training}\n"
            )
    finally:
        conn.close()
    return 0


def _records(args: argparse.Namespace) -> int:
    """One line per ballot's current result record, newest first: TPS, ballot, #seq, when it
    was confirmed (TPS clock), and whether its scan followed."""
    conn = store.connect(Collector(args.data).db_path)
    try:
        for r in record_store.records(conn):
            scan = (
                f"hasil dan pindaian diterima  {r.document_key[:12]}"
                if r.document_key
                else "hasil diterima, pindaian menyusul"
            )
            training = "  LATIHAN" if r.training else ""
            sys.stdout.write(
                f"{r.tps_code}  {r.ballot:10} #{r.seq}  {r.confirmed_at}  {scan}{training}\n"
            )
    finally:
        conn.close()
    return 0
