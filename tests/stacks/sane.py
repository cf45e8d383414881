"""SANE with its ``test`` backend, configured privately (no edits to /etc).

A config dir holding only ``test`` makes device listing instant (the stock dll.conf loads every
backend, ~3.4 s), and raising ``geometry_max`` to 300 mm lets A4 (297 mm) through: the stock
200 mm maximum clamps silently.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stacks.require import missing_stack

STOCK_TEST_CONF = Path("/etc/sane.d/test.conf")


@pytest.fixture(scope="session")
def sane_test_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Point SANE at the test backend; yields the device name ``test:0``."""
    try:
        import sane
    except ImportError:
        missing_stack("python-sane is not installed")
    if not STOCK_TEST_CONF.exists():
        missing_stack("SANE (sane-utils) is not installed")
    conf = tmp_path_factory.mktemp("sane.d")
    (conf / "dll.conf").write_text("test\n")
    text = re.sub(
        r"^geometry_max 200\.0$", "geometry_max 300.0", STOCK_TEST_CONF.read_text(), flags=re.M
    )
    (conf / "test.conf").write_text(text)
    old = os.environ.get("SANE_CONFIG_DIR")
    # Must be set before sane_init() reads the configuration.
    os.environ["SANE_CONFIG_DIR"] = str(conf)
    sane.exit()
    sane.init()
    if not any(d[0] == "test:0" for d in sane.get_devices()):
        missing_stack("SANE test backend not found")
    yield "test:0"
    if old is None:
        os.environ.pop("SANE_CONFIG_DIR", None)
    else:
        os.environ["SANE_CONFIG_DIR"] = old
