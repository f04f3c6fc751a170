"""The translate stage on the bundled engines: whole sentences, kept names and addresses,
pivot routes, and a quality signal per line."""

from __future__ import annotations

import shutil

import pytest

from polydub.domain.transcript import Segment, Transcript
from polydub.engines.mt.select import build_translators, choose_translator
from polydub.pipeline.artifacts import DiarizationArtifact
from polydub.pipeline.translate import translate

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("apertium") is None, reason="Debian apertium not installed"),
]

LINES = [
    (0.0, 1.0, "Which folder"),
    (1.2, 3.0, "should I save this message to?"),
    (5.0, 7.0, "Hi, I'm Jon from Polydub"),
    (7.1, 9.0, "and I'd like to talk about the 2019 budget at www.polydub.example."),
]


@pytest.fixture(scope="module")
def diarized():
    segments = [
        Segment(index=k, start=start, end=end, text=text)
        for k, (start, end, text) in enumerate(LINES)
    ]
    return DiarizationArtifact(
        transcript=Transcript(language="en", segments=segments),
        speakers=["SPEAKER_00"],
        method="single speaker",
    )


@pytest.fixture(scope="module")
def translators():
    return build_translators()


def _translate(diarized, translators, target):
    return translate(
        diarized,
        translator=choose_translator(translators, "en", target),
        target=target,
        glossary=None,
        max_rate=1.25,
        back_translator=choose_translator(translators, target, "en"),
    )


def test_a_sentence_cut_in_two_is_translated_whole_and_shared_out(diarized, translators):
    done = _translate(diarized, translators, "es")
    first, second = (s.translation for s in done.segments[:2])
    # Translated alone, "should I save this message to?" came out "Tener que digo este mensaje
    # a?"; as one sentence the question reads on across the cut.
    assert first.startswith("¿") or first.lower().startswith("qué"), first
    assert "mensaje" in second and "carpeta" in first.lower()
    assert done.carried_by_neighbour == []


def test_names_numbers_and_addresses_come_through_unchanged(diarized, translators):
    done = _translate(diarized, translators, "es")
    assert {"Jon", "Polydub", "2019", "www.polydub.example"} <= set(done.protected_terms)
    text = " ".join(s.translation for s in done.segments)
    for kept in ("Jon", "Polydub", "2019", "www.polydub.example"):
        assert kept in text
    assert done.glossary_misses == []


def test_french_goes_through_spanish_and_says_so(diarized, translators):
    done = _translate(diarized, translators, "fr")
    assert done.route == ["apertium en->es", "apertium es->fr"]
    assert "through es" in done.route_quality
    assert "dossier" in " ".join(s.translation for s in done.segments[:2]).lower()


def test_every_spoken_line_gets_a_quality_signal(diarized, translators):
    done = _translate(diarized, translators, "pt")
    assert [q.index for q in done.line_quality] == [0, 1, 2, 3]
    for q in done.line_quality:
        assert 0.0 <= q.score <= 1.0
        assert q.back_translation_chrf is not None and q.length_ratio is not None


def test_engines_without_another_phrasing_drop_marked_fillers_or_say_they_cannot(translators):
    # 1.2 s before the next speaker: about 22 characters at 1.25x, for 50-70-character lines.
    no_fillers = "I really think we should all go home now."
    segments = [
        Segment(index=0, start=0.0, end=1.2, text="Well, you know, I think we should go home."),
        Segment(index=1, start=1.3, end=2.5, text=no_fillers, speaker="B"),
        Segment(index=2, start=2.6, end=4.0, text="Yes."),
    ]
    diarized = DiarizationArtifact(
        transcript=Transcript(language="en", segments=segments),
        speakers=["SPEAKER_00", "B"],
        method="test",
    )
    for target in ("es", "fr"):  # Apertium, and Apertium through Spanish
        done = _translate(diarized, translators, target)
        fillers, plain = done.phrasing
        # The fillers the source sets off with commas are left out, and the line is shorter.
        assert fillers.segments == [0] and fillers.method == "source fillers left out"
        assert fillers.outcome == "shortened" and fillers.chars_after < fillers.chars_before
        assert fillers.chars_after == len(done.segments[0].translation)
        assert "sab" not in done.segments[0].translation  # "sabes"/"tu sais": "you know"
        # Nothing marked to leave out: the engine has no other phrasing, and says so.
        assert plain.segments == [1] and plain.method is None
        assert plain.outcome == "engine cannot shorten"
        assert plain.chars_after == plain.chars_before > plain.budget_chars
