"""``python -m emulator serve ...`` is ``mix-emulator serve ...``."""

from emulator.cli import console

console()
