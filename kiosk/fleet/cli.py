"""``tps-kiosk fleet``: the technician's PC side of per-TPS provisioning.

    tps-kiosk fleet keygen KPU-KOTA.pem
    tps-kiosk fleet batch TPS.csv --key KPU-KOTA.pem --profiles TEMPLATES/ --out OUT/
    tps-kiosk fleet write OUT/6474010001005.json /dev/sdb      (or an image file)
    tps-kiosk fleet verify /dev/sdb --keys KPU-KOTA.pub

No kiosk settings are read. Exit codes: 0 done; 1 refused (bad rows, a card that fails, a bad
signature); 2 usage (a CSV header or key that cannot be used).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.devicekey import fingerprint
from kiosk.fleet import card
from kiosk.fleet.batch import report_lines, run_batch
from kiosk.fleet.envelope import EnvelopeError, open_envelope, profile_of, read_fields
from kiosk.fleet.keys import (
    IMAGE_KEYS_DIR,
    ProvisioningKeyError,
    generate,
    load_private,
    load_trusted,
)
from kiosk.fleet.sheet import SheetError
from kiosk.i18n import in_language
from kiosk.profile import ProfileError
from kiosk.roles import Role

EXIT_REFUSED = 1
EXIT_USAGE = 2
DEFAULT_KEYS = IMAGE_KEYS_DIR
LANGUAGE = "id"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tps-kiosk fleet",
        description="Signed per-TPS provisioning files, and writing them onto SD cards.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    keygen = sub.add_parser("keygen", help="make the office's provisioning key (once)")
    keygen.add_argument("key", type=Path, help="private key file to write, e.g. kpu-kota.pem")
    batch = sub.add_parser("batch", help="one signed provisioning file per CSV row")
    batch.add_argument("csv", type=Path, help="the TPS list (see kiosk/fleet/README.md)")
    batch.add_argument("--key", type=Path, required=True, help="the provisioning key (.pem)")
    batch.add_argument(
        "--profiles", type=Path, required=True, help="folder of profile templates (*.toml)"
    )
    batch.add_argument("--out", type=Path, required=True, help="folder for the signed files")
    write = sub.add_parser("write", help="put one signed file on a card or an image file")
    write.add_argument("file", type=Path, help="a file made by batch, e.g. OUT/6474010001005.json")
    write.add_argument("target", type=Path, help="the card (/dev/sdb) or an image file")
    verify = sub.add_parser("verify", help="check the file on a card before it goes in the box")
    verify.add_argument("target", type=Path, help="the card, an image file, or a signed file")
    verify.add_argument(
        "--keys",
        type=Path,
        default=DEFAULT_KEYS,
        help=f"trusted public key (.pub) or a folder of them (default {DEFAULT_KEYS})",
    )
    return p


def _fail(message: str, code: int = EXIT_REFUSED) -> int:
    print(f"tps-kiosk fleet: {message}", file=sys.stderr)
    return code


def _keygen(args: argparse.Namespace) -> int:
    try:
        key, pub = generate(args.key)
    except ProvisioningKeyError as exc:
        return _fail(str(exc), EXIT_USAGE)
    print(f"Kunci provisioning: {args.key} (RAHASIA, simpan di PC kantor; salin cadangan)")
    print(f"Kunci publik untuk image: {pub} -> /etc/tps-kiosk/provisioning-keys/")
    print(f"Sidik jari: {fingerprint(key)}")
    return 0


def _batch(args: argparse.Namespace) -> int:
    try:
        key = load_private(args.key)
    except ProvisioningKeyError as exc:
        return _fail(str(exc), EXIT_USAGE)
    if not args.profiles.is_dir():
        return _fail(f"{args.profiles}: folder templat profil tidak ada", EXIT_USAGE)
    try:
        with in_language(LANGUAGE):
            result = run_batch(args.csv, key, args.profiles, args.out)
    except SheetError as exc:
        return _fail(f"{exc}\nTidak ada berkas yang ditulis.", EXIT_USAGE)
    except OSError as exc:
        return _fail(f"{exc.filename or args.out}: {exc.strerror}")
    for line in report_lines(result):
        print(line)
    print(f"Laporan: {result.report}")
    return EXIT_REFUSED if result.problems else 0


def _write(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
        tps = read_fields(data)["tps"]
    except OSError as exc:
        return _fail(f"{args.file}: {exc.strerror}")
    except EnvelopeError as exc:
        return _fail(f"{args.file}: {exc}")
    try:
        try:
            before = read_fields(card.read_file(args.target))["tps"]
        except (card.NoProvisionFile, EnvelopeError):
            before = ""
        card.write_file(args.target, data)
    except card.CardError as exc:
        return _fail(str(exc))
    replaced = f" (menimpa berkas TPS {before})" if before and before != tps else ""
    print(f"{args.target}: berkas TPS {tps} ditulis dan dibaca ulang, sama{replaced}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    try:
        trusted = load_trusted(args.keys)
        for reason in trusted.skipped:
            print(f"kunci dilewati: {reason}", file=sys.stderr)
        if not trusted.keys:
            return _fail(f"{args.keys}: tidak ada kunci publik (*.pub); beri --keys KUNCI.pub")
        data = _target_bytes(args.target)
        opened = open_envelope(data, trusted.keys)
        with in_language(LANGUAGE):
            try:
                profile = profile_of(opened)
            except ProfileError as exc:
                problems = "\n".join(f"  {p}" for p in exc.problems)
                return _fail(f"{args.target}: profil di dalamnya ditolak kiosk:\n{problems}")
    except (ProvisioningKeyError, card.CardError, EnvelopeError) as exc:
        return _fail(
            f"{args.target}: DITOLAK: {exc}" if isinstance(exc, EnvelopeError) else str(exc)
        )
    tps = profile.identity
    print(f"{args.target}: OK")
    print(f"TPS {tps.code} (TPS {tps.number}) — {tps.village}, {tps.district}, {tps.regency}")
    ketua = next(o.name for o in profile.officers if o.role is Role.KETUA)
    print(f"Ketua KPPS: {ketua}; petugas: {len(profile.officers)}")
    print(f"DPT: {profile.dpt_l} L + {profile.dpt_p} P")
    print(f"Ditandatangani: {opened.signer}, {opened.issued}")
    return 0


def _target_bytes(target: Path) -> bytes:
    """The provisioning file on a card or image, or ``target`` itself if it is one."""
    try:
        with target.open("rb") as fh:
            if fh.read(1) == b"{":  # a signed file from batch, not a disk
                return target.read_bytes()
    except (IsADirectoryError, PermissionError, FileNotFoundError):
        pass  # let the card code say what is wrong with the target
    except OSError as exc:
        raise card.CardError(f"{target}: {exc.strerror}") from exc
    return card.read_file(target)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    commands = {"keygen": _keygen, "batch": _batch, "write": _write, "verify": _verify}
    return commands[args.command](args)
