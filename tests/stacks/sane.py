"""SANE with its ``test`` backend, configured privately (no edits to /etc).

A config dir holding only ``test`` makes device listing instant (the stock dll.conf loads every
backend, ~3.4 s, and net-snmp writes under /var/lib/snmp), and raising ``geometry_max`` to 300 mm
lets A4 (297 mm) through: the stock 200 mm maximum clamps silently.
"""

from __future__ import annotations

import importlib.util
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
    if importlib.util.find_spec("sane") is None:
        missing_stack("python-sane is not installed (pip install python-sane)")
    if not STOCK_TEST_CONF.exists():
        missing_stack("the SANE test backend is not installed (apt-get install sane-utils)")
    conf = tmp_path_factory.mktemp("sane.d")
    (conf / "dll.conf").write_text("test\n")
    text, raised = re.subn(
        r"^geometry_max\s+\S+$", "geometry_max 300.0", STOCK_TEST_CONF.read_text(), flags=re.M
    )
    if raised != 1:
        missing_stack(f"{STOCK_TEST_CONF} has no geometry_max line to raise for A4")
    (conf / "test.conf").write_text(text)
    old = os.environ.get("SANE_CONFIG_DIR")
    # sane_init() reads the configuration, so this must be set before it runs; SANE is restarted
    # in case something in this process already started it with the stock configuration.
    os.environ["SANE_CONFIG_DIR"] = str(conf)
    import sane

    sane.exit()
    sane.init()
    if not any(d[0] == "test:0" for d in sane.get_devices()):
        missing_stack("SANE lists no test:0 device with the private configuration")
    yield "test:0"
    if old is None:
        os.environ.pop("SANE_CONFIG_DIR", None)
    else:
        os.environ["SANE_CONFIG_DIR"] = old
