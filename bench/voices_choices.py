"""Match + refine each real speaker of voices_real.py, no dub readings: which voice it gets.

python bench/voices_choices.py BENCH_DIR  (main's: a `git archive main` copy's bench/)
"""

import sys
import time

sys.path.insert(0, sys.argv[1])  # the bench folder whose voices_real.py to use
from voices_real import chosen_speakers, voice_engines

from polydub.engines.voice.voice_match import MatchOptions, SpeakerTarget, match_speaker
from polydub.engines.voice.voice_refine import RefineOptions, refine_match
from polydub.media.pitch import pitch_stats

encoders, kokoro, bank, transcribe, stock = voice_engines()
speakers = chosen_speakers("")
for language in ("es", "pt"):
    candidates = bank.voices(language)
    for name, ref in speakers.items():
        cpu = time.process_time()
        target = SpeakerTarget.of(ref, pitch_stats(ref, 16000), encoders)
        m = match_speaker(candidates, target, encoders, MatchOptions.for_mode("speed"))
        start = m.voice.name
        m = refine_match(
            bank,
            candidates,
            m,
            target,
            encoders,
            language,
            RefineOptions.for_mode("speed"),
            transcribe,
        )
        print(
            f"CHOICE {name} {language} {start} -> {m.voice.name} weights {m.voice.recipe.weights} "
            f"formant {m.formant_ratio} eq {bool(m.spectrum_gains)} ratio {m.pitch_ratio:.4f} "
            f"sim {m.similarity:.4f} cpu {time.process_time() - cpu:.1f}",
            flush=True,
        )
