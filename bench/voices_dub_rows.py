"""voices_real.py's dub scoring for chosen (speaker, language) rows only, no stock voices:
python bench/voices_dub_rows.py BENCH_DIR speaker:lang[,speaker:lang...]"""

import sys
import time

sys.path.insert(0, sys.argv[1])  # the bench folder whose voices_real.py to use
import numpy as np
from voices_real import _changed, _readings, _scores, _similar, chosen_speakers, voice_engines

from polydub.engines.tts.matched import MatchedVoice
from polydub.engines.voice.voice_match import MatchOptions, SpeakerTarget, match_speaker
from polydub.engines.voice.voice_refine import RefineOptions, refine_match
from polydub.media.pitch import pitch_stats

encoders, kokoro, bank, transcribe, stock = voice_engines()
speakers = chosen_speakers("")
for row in sys.argv[2].split(","):
    name, language = row.split(":")
    ref = speakers[name]
    candidates = bank.voices(language)
    pitch = pitch_stats(ref, 16000)
    cpu = time.process_time()
    target = SpeakerTarget.of(ref, pitch, encoders)
    m = match_speaker(candidates, target, encoders, MatchOptions.for_mode("speed"))
    start = m.voice.name
    m = refine_match(
        bank, candidates, m, target, encoders, language, RefineOptions.for_mode("speed"), transcribe
    )
    cpu = time.process_time() - cpu
    voice = MatchedVoice(
        style=bank.style(m.voice),
        pitch_ratio=m.pitch_ratio,
        formant_ratio=m.formant_ratio,
        spectrum_gains=m.spectrum_gains,
        pitch_target=m.speaker_pitch,
    )
    s = _similar(
        _scores(
            _changed(_readings(kokoro, voice.style, language), voice),
            language,
            transcribe,
            encoders,
        ),
        target,
        encoders,
    )
    print(
        f"DUB {name} {language} {start} -> {m.voice.name} formant {m.formant_ratio} "
        f"eq {bool(m.spectrum_gains)} "
        f"d {12 * np.log2(s['f0'] / pitch.median):+.1f}st res {s['res']:.3f} dvec {s['dvec']:.3f} "
        f"errors {s['errors']}/{s['words']} match cpu {cpu:.1f}s",
        flush=True,
    )
