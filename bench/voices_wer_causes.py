"""Why does a matched voice lose a word? Word errors of each voice-change stage, on more text.

    .venv/bin/python bench/voices_wer_causes.py [--languages pt] [--speakers a,b]

For each real speaker of bench/voices_real.py it matches and refines as the voices stage does
(speed mode), then reads voices_real.py's HELD_OUT (ten sentences per language, none of them
the bank's probe) with the matched style and counts the recogniser's word errors
(substitutions + deletions + insertions) of: the plain blend (no DSP), + the pitch shift,
+ the formant scale, + the EQ (the dub as shipped), and the best stock voice of the speaker's
sex (as voices_real.py picks it). Resemblyzer / d-vector similarity of each is printed too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from voices_real import HELD_OUT, chosen_speakers, voice_engines  # noqa: E402

from polydub.domain.audio import Audio  # noqa: E402
from polydub.domain.speaker import voice_sex  # noqa: E402
from polydub.engines.tts.matched import MatchedVoice, voice_change  # noqa: E402
from polydub.engines.voice.base import ENCODER_SAMPLE_RATE, cosine  # noqa: E402
from polydub.engines.voice.style_search import word_errors  # noqa: E402
from polydub.engines.voice.voice_match import MatchOptions, SpeakerTarget, match_speaker  # noqa: E402
from polydub.engines.voice.voice_refine import RefineOptions, refine_match  # noqa: E402
from polydub.media.audio import resample  # noqa: E402
from polydub.media.pitch import pitch_stats  # noqa: E402


def _variants(match) -> dict[str, MatchedVoice | None]:
    """The voice change built up one stage at a time (None: no change)."""
    target = match.speaker_pitch
    return {
        "plain": None,
        "pitch": MatchedVoice(style=None, pitch_ratio=match.pitch_ratio, pitch_target=target),
        "+formant": MatchedVoice(
            style=None,
            pitch_ratio=match.pitch_ratio,
            formant_ratio=match.formant_ratio,
            pitch_target=target,
        ),
        "+EQ (dub)": MatchedVoice(
            style=None,
            pitch_ratio=match.pitch_ratio,
            formant_ratio=match.formant_ratio,
            spectrum_gains=match.spectrum_gains,
            pitch_target=target,
        ),
    }


def _readings(kokoro, style, language) -> list[Audio]:
    return [
        kokoro.synthesize_with_style(t, language=language, style=style).audio
        for t in HELD_OUT[language]
    ]


def _score(
    readings, voice, language, transcribe, encoders, target
) -> tuple[int, int, float, float]:
    errors, words, heard = 0, 0, []
    for text, audio in zip(HELD_OUT[language], readings, strict=True):
        samples = (
            audio.samples
            if voice is None
            else voice_change(audio.samples, audio.sample_rate, voice)
        )
        changed = Audio(samples, audio.sample_rate)
        errors += word_errors(changed, text, language, transcribe)
        words += len(text.split())
        heard.append(resample(changed, ENCODER_SAMPLE_RATE).samples)
    dub = np.concatenate(heard)
    sims = [cosine(e.embed(dub), target.embeddings[e.name]) for e in encoders]
    return errors, words, sims[0], sims[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default="pt")
    parser.add_argument("--speakers", default="")
    parser.add_argument("--no-stock", action="store_true", help="skip the stock voices")
    args = parser.parse_args()
    encoders, kokoro, bank, transcribe, stock = voice_engines()
    speakers = chosen_speakers(args.speakers)
    for language in args.languages.split(","):
        candidates = bank.voices(language)
        if args.no_stock:
            stock = {}
        stock_readings = {n: _readings(kokoro, kokoro.style(n), language) for n in stock}
        for name, ref in speakers.items():
            pitch = pitch_stats(ref, ENCODER_SAMPLE_RATE)
            target = SpeakerTarget.of(ref, pitch, encoders)
            match = match_speaker(candidates, target, encoders, MatchOptions.for_mode("speed"))
            refined = refine_match(
                bank,
                candidates,
                match,
                target,
                encoders,
                language,
                RefineOptions.for_mode("speed"),
                transcribe,
            )
            readings = _readings(kokoro, bank.style(refined.voice), language)
            print(
                f"{name} {language}: {refined.voice.name} pitch x{refined.pitch_ratio:.3f} "
                f"formant {refined.formant_ratio} EQ {'yes' if refined.spectrum_gains else 'no'}",
                flush=True,
            )
            for label, voice in _variants(refined).items():
                e, w, res, dvec = _score(readings, voice, language, transcribe, encoders, target)
                print(f"  {label:10s} errors {e:2d}/{w} res {res:.3f} dvec {dvec:.3f}", flush=True)
            if refined.voice is not match.voice:
                plain = _readings(kokoro, bank.style(match.voice), language)
                e, w, res, dvec = _score(
                    plain, _variants(match)["+EQ (dub)"], language, transcribe, encoders, target
                )
                print(
                    f"  unrefined  {match.voice.name}: errors {e:2d}/{w} "
                    f"res {res:.3f} dvec {dvec:.3f}"
                )
            sex = voice_sex(pitch)
            for n in stock:
                if sex is not None and stock[n].gender != sex:
                    continue
                e, w, res, dvec = _score(
                    stock_readings[n], None, language, transcribe, encoders, target
                )
                print(
                    f"  stock {n:14s} errors {e:2d}/{w} res {res:.3f} dvec {dvec:.3f}", flush=True
                )


if __name__ == "__main__":
    main()
