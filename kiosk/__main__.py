"""``python -m kiosk`` is ``tps-kiosk``."""

import sys

from kiosk.cli import main

sys.exit(main())
