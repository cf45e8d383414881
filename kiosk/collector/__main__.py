"""``python -m kiosk.collector ...``: the collector's command line (see cli.py)."""

from __future__ import annotations

import sys

from kiosk.collector.cli import main

sys.exit(main())
