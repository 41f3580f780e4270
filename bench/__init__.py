"""Benchmarks of the media engine against the FFmpeg command line (``make bench``)."""
