"""Real signed bundles and USB exports for tests, made the way the kiosk makes them.

A ``TestKiosk`` has its own Ed25519 key and TPS code; ``document`` writes a folder with
``document.pdf`` and ``manifest.json`` in the format ``kiosk/chasil/documents.py`` ``finish()``
writes, and ``bundle`` builds the bundle with ``kiosk.upload.bundle.build_bundle``.
"""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fpdf import FPDF

from kiosk.devicekey import canonical, fingerprint, public_b64, public_bytes
from kiosk.storage import write_durably
from kiosk.upload.bundle import BuiltBundle, build_bundle, sign_index, upload_metadata

TPS_CODE = "6474010001005"
_serial = count(1)


def make_pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=text)
    return bytes(pdf.output())


@dataclass
class Document:
    folder: Path
    bundle: BuiltBundle
    manifest_file: bytes

    @property
    def key(self) -> str:
        return self.bundle.key

    def metadata(self, **changes: str) -> dict[str, str]:
        """The tus Upload-Metadata the kiosk sends, with ``changes`` applied."""
        return {**upload_metadata(self.bundle, self.manifest_file), **changes}


@dataclass
class TestKiosk:
    __test__ = False  # not a pytest test class

    root: Path
    tps_code: str = TPS_CODE
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def public_key(self) -> str:
        return public_b64(self.key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)

    def manifest(self, ballot: str, training: bool, pdf_sha256: str) -> dict[str, Any]:
        n = next(_serial)
        return {
            "format": "tps-kiosk-manifest/1",
            "tps_code": self.tps_code,
            "village": "Contoh",
            "district": "Kecamatan Contoh",
            "regency": "Kabupaten Contoh",
            "province": "Provinsi Contoh",
            "election": "pemilu",
            "ballot": ballot,
            "training": training,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "pdf": {"file": "document.pdf", "sha256": pdf_sha256},
            "pages": [{"position": 1, "sha256": "0" * 64, "scanned_by": "kpps1", "scanned": ""}],
            "numbers": {"serial": n, "S": 100 + n},
            "made_by": "kpps1",
        }

    def document(
        self,
        ballot: str = "PPWP",
        training: bool = False,
        pdf: bytes | None = None,
        manifest_changes: dict[str, Any] | None = None,
        signer: Ed25519PrivateKey | None = None,
    ) -> Document:
        """A signed document folder and its bundle. ``manifest_changes`` are applied after
        signing (so the signature no longer matches); ``signer`` signs instead of our key
        while our public key is still named in the file."""
        n = next(_serial)
        folder = self.root / f"doc{n}"
        pdf = pdf if pdf is not None else make_pdf(f"C.Hasil {ballot} TPS {self.tps_code} #{n}")
        pdf_sha = write_durably(folder / "document.pdf", pdf)
        manifest = self.manifest(ballot, training, pdf_sha)
        signature = (signer or self.key).sign(canonical(manifest))
        manifest.update(manifest_changes or {})
        signed = {
            "manifest": manifest,
            "signature": base64.b64encode(signature).decode(),
            "public_key": base64.b64encode(public_bytes(self.key)).decode(),
            "device_key": fingerprint(self.key),
        }
        manifest_file = json.dumps(signed, ensure_ascii=False, indent=1).encode()
        write_durably(folder / "manifest.json", manifest_file)
        bundle = build_bundle(folder, self.root / f"bundle{n}.zip")
        return Document(folder, bundle, manifest_file)

    def tampered_pdf(self, ballot: str = "PPWP") -> Document:
        """A document whose PDF was swapped after signing (the manifest is intact)."""
        doc = self.document(ballot)
        (doc.folder / "document.pdf").write_bytes(make_pdf("angka palsu (forged numbers)"))
        bundle = build_bundle(doc.folder, doc.bundle.path)
        return Document(doc.folder, bundle, doc.manifest_file)

    def export(self, folder: Path, docs: list[Document]) -> Path:
        """A USB export folder: the bundles and ``index.json`` signed with our key."""
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for doc in docs:
            name = f"{self.tps_code}-{doc.key[:12]}.zip"
            shutil.copyfile(doc.bundle.path, folder / name)
            ballot = json.loads(doc.manifest_file)["manifest"]["ballot"]
            entries.append(
                {"file": name, "key": doc.key, "sha256": doc.bundle.sha256, "ballot": ballot}
            )
        created = datetime.now(UTC).isoformat(timespec="seconds")
        index = sign_index(self.key, self.tps_code, created, entries)
        (folder / "index.json").write_bytes(index)
        return folder
