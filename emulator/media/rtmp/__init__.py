"""RTMP: ingest (anchors publishing to the emulator) and playback, over the LiveHub.

The server is :class:`emulator.media.rtmp.server.RtmpServer`. This package imports nothing itself, so
``emulator.media.flv`` can use :mod:`emulator.media.rtmp.amf0` without an import cycle.
"""
