"""Translation bench: chrF and BLEU against human translations, per engine and route.

    .venv/bin/python bench/translation_bench.py [--sentences 100] [--targets es fr pt it]
        [--speech]

References: English sentences and their human translations from the gettext catalogues
Debian installs (/usr/share/locale/<lang>/LC_MESSAGES/*.mo: translators' own work, shipped
with each package); sentences of 8-25 plain words, picked deterministically.

Per target it prints, with the engine or route that serves it:
- whole: each sentence translated whole (the best a sentence-level engine can do);
- pieces: each sentence cut where a speaker pauses (recognised segments end there) and each
  piece translated alone, as Polydub did before sentence units;
- units: the same pieces through the translate stage (joined into a sentence, translated,
  split back over the pieces), scored on the joined dub text.
Scores: corpus chrF and BLEU (sacrebleu) and the mean sentence-level chrF. The gap between
"units" and "whole" is what segmentation still costs; "pieces" shows what it cost before.

With --speech, the same through speech recognition: the English sentences are spoken (Piper,
pausing where "pieces" cuts them), recognised by the bundled Whisper, and translated from the
recognised segments piece by piece ("asr pieces") and as sentence units ("asr units"); each
reference sentence is scored against the dub text of the segments inside its time span;
"asr whole" translates each span's recognised text as one sentence, so what is left between it
and "whole" is recognition, and between it and "asr units" segmentation. The
speech is synthetic (no real recording has human translations here), so these rows measure
what recognition and segmentation do to translation, not voices.

With --clips, real recordings (the LibriVox reading in pocketsphinx-testdata, pyannote-audio's
two-speaker sample) are dubbed into each target with stock voices, and the slow-down of every
stretch of video is printed: how far the timing had to bend real speech.
"""

from __future__ import annotations

import argparse
import gettext
import hashlib
import re
import time
from pathlib import Path

import sacrebleu

from polydub.domain.transcript import Segment, Transcript
from polydub.engines.mt.select import build_translators, choose_translator
from polydub.errors import UnsupportedLanguageError
from polydub.pipeline.artifacts import DiarizationArtifact
from polydub.pipeline.translate import translate

LOCALE = Path("/usr/share/locale")
_PLAIN_SENTENCE = re.compile(r"[A-Z][A-Za-z ,'’-]+[.?!]")


def human_pairs(target: str) -> dict[str, str]:
    """English -> human translation, every plain sentence pair in the installed catalogues."""
    pairs: dict[str, str] = {}
    for mo in sorted((LOCALE / target / "LC_MESSAGES").glob("*.mo")):
        try:
            with mo.open("rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog
        except (OSError, UnicodeDecodeError, ValueError):
            continue  # a catalogue Python cannot parse
        for english, translated in catalog.items():
            if (
                isinstance(english, str)
                and isinstance(translated, str)
                and translated.strip()
                and _PLAIN_SENTENCE.fullmatch(english)
                and 8 <= len(english.split()) <= 25
            ):
                pairs.setdefault(english, translated.strip())
    return pairs


def common_sentences(targets: list[str], count: int) -> tuple[list[str], dict[str, list[str]]]:
    """`count` English sentences every target's catalogues translate (a stable sample: the
    same on every machine with the same packages), and each target's references."""
    pairs = {target: human_pairs(target) for target in targets}
    pairs = {target: found for target, found in pairs.items() if found}
    shared = set.intersection(*(set(found) for found in pairs.values())) if pairs else set()
    english = sorted(shared, key=lambda text: hashlib.sha256(text.encode()).hexdigest())[:count]
    return english, {target: [found[e] for e in english] for target, found in pairs.items()}


def pause_cut(sentence: str) -> list[str]:
    """Where a speaker would pause: after a comma near the middle, else at the middle word;
    long sentences in three."""
    words = sentence.split()
    pieces = 3 if len(words) >= 18 else 2
    cuts, start = [], 0
    for k in range(1, pieces):
        aim = round(len(words) * k / pieces)
        commas = [i + 1 for i in range(start, len(words) - 1) if words[i].endswith(",")]
        near = [c for c in commas if abs(c - aim) <= 2]
        cut = min(near, key=lambda c: abs(c - aim)) if near else aim
        cut = max(cut, start + 1)
        cuts.append(cut)
        start = cut
    bounds = [0, *cuts, len(words)]
    return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]


def _translate_stage(translator, back, target: str, segments: list[Segment]):
    """The pipeline's translate stage on English segments of one speaker."""
    diarized = DiarizationArtifact(
        transcript=Transcript(language="en", segments=segments), speakers=["S"], method="bench"
    )
    return translate(
        diarized, translator=translator, target=target, glossary=None, max_rate=1.25,
        back_translator=back,
    )  # fmt: skip


def _units(translator, back, target: str, sentences: list[str]) -> list[str]:
    segments, t = [], 0.0
    for sentence in sentences:
        for piece in pause_cut(sentence):
            length = 0.35 * len(piece.split())
            segments.append(Segment(index=len(segments), start=t, end=t + length, text=piece))
            t += length + 0.4  # a short pause inside the sentence
        t += 1.6  # and a long one after it, so sentences never join
    done = _translate_stage(translator, back, target, segments)
    joined, k = [], 0
    for sentence in sentences:
        n = len(pause_cut(sentence))
        joined.append(" ".join(s.translation for s in done.segments[k : k + n] if s.translation))
        k += n
    return joined


def spoken_transcript(sentences: list[str]) -> tuple[list[Segment], list[tuple[float, float]]]:
    """The sentences spoken with pauses at the cuts (0.6 s) and between them (1.5 s), then
    recognised: the segments, and each sentence's time span."""
    import numpy as np

    from polydub.config import Settings
    from polydub.engines.asr.base import TranscribeOptions
    from polydub.media.audio import resample
    from polydub.pipeline.engine_set import EngineSet
    from polydub.samples import _voices

    (speak,) = _voices(dialogue=False)
    rate, chunks, spans, t = 16000, [], [], 0.5
    chunks.append(np.zeros(int(0.5 * rate), np.float32))
    for sentence in sentences:
        start = t
        for k, piece in enumerate(pause_cut(sentence)):
            audio = resample(speak(piece), rate)
            chunks.append(audio.samples.astype(np.float32))
            t += audio.duration
            pause = 0.6 if k + 1 < len(pause_cut(sentence)) else 1.5
            chunks.append(np.zeros(int(pause * rate), np.float32))
            t += pause
        spans.append((start, t - 1.5))
    transcriber = EngineSet(Settings()).transcriber
    transcript = transcriber.transcribe(
        np.concatenate(chunks), TranscribeOptions(language="en", beam_size=1)
    )
    segments = [
        s.model_copy(update={"index": k, "speaker": "S"})
        for k, s in enumerate(x for x in transcript.segments if x.text.strip())
    ]
    return segments, spans


def _by_span(segments: list[Segment], texts: list[str], spans) -> list[str]:
    """Per sentence span, the texts of the segments whose middle falls inside it."""
    out = []
    for start, end in spans:
        inside = [
            text
            for seg, text in zip(segments, texts, strict=True)
            if start - 0.3 <= (seg.start + seg.end) / 2 <= end + 0.3 and text
        ]
        out.append(" ".join(inside))
    return out


def _through_speech(translator, back, target, segments, spans) -> tuple[list[str], ...]:
    """Per sentence span: the recognised text translated whole (recognition errors only),
    piece by piece, and as sentence units."""
    recognised = _by_span(segments, [s.text for s in segments], spans)
    whole = translator.translate(recognised, "en", target)
    pieces = translator.translate([s.text for s in segments], "en", target)
    units = [s.translation for s in _translate_stage(translator, back, target, segments).segments]
    return whole, _by_span(segments, pieces, spans), _by_span(segments, units, spans)


def real_clips(folder: Path) -> list[Path]:
    """The real recordings installed here, as videos (a still frame under the speech)."""
    from polydub.dialogue_samples import pyannote_sample
    from polydub.media.ffmpeg import run_ffmpeg

    librivox = sorted(Path("/usr/share/pocketsphinx/test/data/librivox").glob("*.wav"))
    sources = {"librivox": librivox} if librivox else {}
    if (sample := pyannote_sample()) is not None:
        sources["pyannote"] = [sample[0]]
    clips = []
    for name, wavs in sources.items():
        clip = folder / f"{name}.mp4"
        inputs = [arg for wav in wavs for arg in ("-i", str(wav))]
        joined = "".join(f"[{k + 1}:a]" for k in range(len(wavs)))
        run_ffmpeg(
            ["-f", "lavfi", "-i", "color=c=gray:s=640x360:r=25", *inputs, "-filter_complex",
             f"{joined}concat=n={len(wavs)}:v=0:a=1[a]", "-map", "0:v", "-map", "[a]",
             "-shortest", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", str(clip)]
        )  # fmt: skip
        clips.append(clip)
    return clips


def slowdowns(targets: list[str]) -> None:
    import tempfile

    from polydub.config import Settings
    from polydub.pipeline.dub import dub
    from polydub.pipeline.dub_options import DubOptions
    from polydub.pipeline.engine_set import EngineSet

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        engines = EngineSet(Settings())
        for clip in real_clips(root):
            options = DubOptions(targets=tuple(targets), use_stock_voice=True)
            for result in dub(
                clip, options, engines, work_root=root / "work", output_stem=root / clip.stem
            ):
                timing = result.report["timing"]
                factors = sorted(round(s["factor"], 2) for s in timing["stretches"])
                capped = sum(1 for s in timing["stretches"] if s["capped"])
                wer = result.report["intelligibility"]["wer"]
                print(
                    f"{clip.stem} -> {result.target}: {timing['segments']} lines, "
                    f"stretches {factors or 'none'} ({capped} capped), rate max "
                    f"{timing['rate_max']:.2f}, {timing['source_duration']:.1f}s -> "
                    f"{timing['output_duration']:.1f}s, WER {wer:.2f}"
                )
                print(f"    slow-down {_distribution(factors, timing['segments'])}")
                print(f"    shorter phrasing: {_phrasing_outcomes(result.report)}")


def _distribution(factors: list[float], lines: int) -> str:
    """Max and percentiles of the video slow-down per line (1.0 for lines not stretched)."""
    import numpy as np

    per_line = [*factors, *[1.0] * max(0, lines - len(factors))] or [1.0]
    p50, p90, p95 = np.percentile(per_line, [50, 90, 95])
    return f"max {max(per_line):.2f}, p50 {p50:.2f}, p90 {p90:.2f}, p95 {p95:.2f} per line"


def _phrasing_outcomes(report: dict) -> str:
    """How the sentences predicted too long fared (see pipeline/phrasing.py)."""
    from collections import Counter

    attempts = report["translation"]["phrasing"]
    counts = Counter(f"{a['outcome']} ({a['method']})" for a in attempts)
    saved = sum(a["chars_before"] - a["chars_after"] for a in attempts)
    said = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
    return f"{len(attempts)} sentences too long: {said or '-'}; {saved} chars saved"


def _scores(hypotheses: list[str], references: list[str]) -> str:
    chrf = sacrebleu.corpus_chrf(hypotheses, [references]).score
    bleu = sacrebleu.corpus_bleu(hypotheses, [references]).score
    per_sentence = [
        sacrebleu.sentence_chrf(h, [r]).score for h, r in zip(hypotheses, references, strict=True)
    ]
    mean = sum(per_sentence) / len(per_sentence)
    return f"chrF {chrf:5.1f}  BLEU {bleu:5.1f}  sentence chrF {mean:5.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=100)
    parser.add_argument("--targets", nargs="+", default=["es", "fr", "pt", "it"])
    parser.add_argument(
        "--speech", action="store_true", help="also through speech recognition (slower)"
    )
    parser.add_argument(
        "--clips", action="store_true", help="dub real recordings and print their slow-downs"
    )
    args = parser.parse_args()
    translators = build_translators()
    english, references_by_target = common_sentences(args.targets, args.sentences)
    print(f"{len(english)} English sentences with human translations in every target")
    spoken = spoken_transcript(english) if args.speech else None
    for target in args.targets:
        references = references_by_target.get(target)
        if not references:
            print(f"{target}: no human references installed")
            continue
        try:
            translator = choose_translator(translators, "en", target)
        except UnsupportedLanguageError:
            print(f"{target}: no route from English")
            continue
        try:
            back = choose_translator(translators, target, "en")
        except UnsupportedLanguageError:
            back = None
        started = time.perf_counter()
        whole = translator.translate(english, "en", target)
        pieces = [" ".join(translator.translate(pause_cut(s), "en", target)) for s in english]
        units = _units(translator, back, target, english)
        seconds = time.perf_counter() - started
        print(f"en->{target} via {translator.name} ({seconds:.0f}s)")
        print(f"  whole      {_scores(whole, references)}")
        print(f"  pieces     {_scores(pieces, references)}")
        print(f"  units      {_scores(units, references)}")
        if spoken is not None:
            segments, spans = spoken
            asr_whole, asr_pieces, asr_units = _through_speech(
                translator, back, target, segments, spans
            )
            print(f"  asr whole  {_scores(asr_whole, references)}  ({len(segments)} segments)")
            print(f"  asr pieces {_scores(asr_pieces, references)}")
            print(f"  asr units  {_scores(asr_units, references)}")
    if args.clips:
        slowdowns(args.targets)


if __name__ == "__main__":
    main()
