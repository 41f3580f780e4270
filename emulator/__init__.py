"""mix-emulator: a local emulator of cloud live-stream mixing APIs with a real media engine."""

__version__ = "0.1.0"
