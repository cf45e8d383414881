"""``python -m kiosk.collector register``: a TPS code is 13 ASCII digits, nothing else."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ROOT = Path(__file__).resolve().parents[2]


def _public_key() -> str:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _register(data: Path, tps: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "kiosk.collector", "register", "--data", str(data)),
            *("--tps", tps, "--public-key", _public_key()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "tps",
    [
        "６４７４０１０００１００５",  # full-width, as an IME types them
        "٦٤٧٤٠١٠٠٠١٠٠٥",  # Arabic-Indic
        "6474010001005\n",
    ],
    ids=["fullwidth", "arabic-indic", "trailing newline"],
)
def test_a_code_with_other_digits_is_refused(tmp_path, tps):
    result = _register(tmp_path / "collector", tps)
    assert result.returncode == 1, result.stdout
    assert "cannot register: a TPS code has 13 digits" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_code_of_13_ascii_digits_is_registered(tmp_path):
    result = _register(tmp_path / "collector", "6474010001005")
    assert result.returncode == 0, result.stderr
    assert "for TPS 6474010001005" in result.stdout
