"""Polydub: self-hosted video translation on bundled models."""

import os

# OpenMP worker threads (torch's and CTranslate2's libgomp) spin between parallel regions by
# default. Beside any other busy process they spin on the core the thread they wait for needs:
# with one other busy process on two cores, transcribe went from 9 to 44 s of CPU and voice
# matching from 13 to 57 s; passive waiting cut the source side and voices 122 -> 38 s wall.
# Set before torch or CTranslate2 load (they read it once); a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
