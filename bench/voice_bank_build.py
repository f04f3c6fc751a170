"""Time building the voice banks as `polydub models` does (per language: wall, CPU)."""

import logging
import sys
import time

from polydub.config import Settings
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.voice_plan import voice_bank

logging.basicConfig(level=logging.INFO, format="%(message)s")
engines = EngineSet(Settings())
bank = voice_bank(engines)
if len(sys.argv) > 2 and sys.argv[2] == "tmp":  # build into a fresh folder, not the cache
    import pathlib
    import tempfile

    bank.cache_dir = pathlib.Path(tempfile.mkdtemp())
for language in sys.argv[1].split(","):
    wall, cpu = time.perf_counter(), time.process_time()
    voices = bank.voices(language)
    print(
        f"BUILD {language}: {len(voices)} voices, {time.perf_counter() - wall:.1f}s wall "
        f"{time.process_time() - cpu:.1f}s cpu",
        flush=True,
    )
    for v in voices:
        print(f"  {v.name:28s} {v.pitch.median:5.0f} Hz wer {v.word_error_rate}")
