"""Translation bench: chrF and BLEU against human translations, per engine and route.

    .venv/bin/python bench/translation_bench.py [--sentences 120] [--targets es fr pt it]

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


def human_pairs(target: str, count: int) -> list[tuple[str, str]]:
    """(English, human translation) pairs from the installed catalogues, `count` of them."""
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
    # A stable sample: the same sentences on every machine with the same packages.
    ranked = sorted(pairs.items(), key=lambda kv: hashlib.sha256(kv[0].encode()).hexdigest())
    return ranked[:count]


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


def _units(translator, back, target: str, sentences: list[str]) -> list[str]:
    segments, t = [], 0.0
    for sentence in sentences:
        for piece in pause_cut(sentence):
            length = 0.35 * len(piece.split())
            segments.append(Segment(index=len(segments), start=t, end=t + length, text=piece))
            t += length + 0.4  # a short pause inside the sentence
        t += 1.6  # and a long one after it, so sentences never join
    diarized = DiarizationArtifact(
        transcript=Transcript(language="en", segments=segments), speakers=["S"], method="bench"
    )
    done = translate(
        diarized, translator=translator, target=target, glossary=None, max_rate=1.25,
        back_translator=back,
    )  # fmt: skip
    joined, k = [], 0
    for sentence in sentences:
        n = len(pause_cut(sentence))
        joined.append(" ".join(s.translation for s in done.segments[k : k + n] if s.translation))
        k += n
    return joined


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
    parser.add_argument("--sentences", type=int, default=120)
    parser.add_argument("--targets", nargs="+", default=["es", "fr", "pt", "it"])
    args = parser.parse_args()
    translators = build_translators()
    for target in args.targets:
        pairs = human_pairs(target, args.sentences)
        if not pairs:
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
        english, references = [p[0] for p in pairs], [p[1] for p in pairs]
        started = time.perf_counter()
        whole = translator.translate(english, "en", target)
        pieces = [" ".join(translator.translate(pause_cut(s), "en", target)) for s in english]
        units = _units(translator, back, target, english)
        seconds = time.perf_counter() - started
        print(f"en->{target} via {translator.name} ({len(pairs)} sentences, {seconds:.0f}s)")
        print(f"  whole   {_scores(whole, references)}")
        print(f"  pieces  {_scores(pieces, references)}")
        print(f"  units   {_scores(units, references)}")


if __name__ == "__main__":
    main()
