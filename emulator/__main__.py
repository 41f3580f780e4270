"""``python -m emulator serve ...`` is ``mix-emulator serve ...``."""

import sys

from emulator.cli import main

sys.exit(main())
