"""The media engine: sources -> compositor + audio mixer -> encoders -> sinks (see docs/internals.md)."""

import os

# The engine uses numpy for copies and element-wise maths only, never BLAS. OpenBLAS would start a thread
# per core when numpy is imported, and those spin for a while: measurable CPU taken from the encoders.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
