"""Sentence units: recognised segments joined into sentences, translations split back."""

from __future__ import annotations

from polydub.domain.transcript import Segment
from polydub.pipeline.sentence_units import sentence_units, split_translation


def _seg(index, start, end, text, speaker="SPEAKER_00"):
    return Segment(index=index, start=start, end=end, text=text, speaker=speaker)


def test_a_sentence_cut_by_a_short_pause_is_one_unit():
    segments = [
        _seg(0, 0.0, 1.0, "Which folder"),
        _seg(1, 1.3, 3.0, "should I save this message to?"),
        _seg(2, 3.2, 4.0, "All"),
        _seg(3, 4.1, 4.6, "right."),
    ]
    assert [u.members for u in sentence_units(segments)] == [(0, 1), (2, 3)]
    assert sentence_units(segments)[0].text(segments) == (
        "Which folder should I save this message to?"
    )


def test_units_end_at_speaker_changes_long_pauses_and_size_bounds():
    segments = [
        _seg(0, 0.0, 1.0, "So the thing is", "A"),
        _seg(1, 1.1, 2.0, "yes", "B"),
        _seg(2, 2.1, 3.0, "and then", "B"),
        _seg(3, 6.0, 7.0, "much later", "B"),
    ]
    assert [u.members for u in sentence_units(segments)] == [(0,), (1, 2), (3,)]
    run_on = [_seg(k, k * 1.0, k * 1.0 + 0.9, "and then we") for k in range(10)]
    assert [len(u.members) for u in sentence_units(run_on)] == [4, 4, 2]


def test_the_translation_is_split_in_proportion_at_word_boundaries():
    pieces = split_translation(
        "¿En qué carpeta debo guardar este mensaje?",
        ["Which folder", "should I save this message to?"],
    )
    assert pieces == ["¿En qué carpeta", "debo guardar este mensaje?"]
    assert " ".join(pieces) == "¿En qué carpeta debo guardar este mensaje?"


def test_names_and_numbers_stay_on_the_side_where_they_were_said():
    pieces = split_translation(
        "Hola, me llamo Jon y trabajo en Polydub desde hace tres años.",
        ["Hi, I am Jon", "and I have worked at Polydub for three years."],
    )
    assert pieces == ["Hola, me llamo Jon", "y trabajo en Polydub desde hace tres años."]


def test_a_split_moves_onto_nearby_punctuation():
    pieces = split_translation(
        "Bueno, creo que sí, pero mañana lo vemos con calma.",
        ["Well I think so", "but tomorrow we will look at it calmly."],
    )
    assert pieces[0].endswith(",")


def test_fewer_words_than_pieces_leaves_later_pieces_empty():
    assert split_translation("Hola", ["Hi", "there", "friend"]) == ["Hola", "", ""]
    assert split_translation("Muy bien", ["All", "right"]) == ["Muy", "bien"]
    assert split_translation("", ["a", "b"]) == ["", ""]
    assert split_translation("Hola mundo", ["Hello world"]) == ["Hola mundo"]


def test_a_translation_starts_with_a_capital_where_its_sentence_did():
    from polydub.pipeline.translate import _as_capitalised

    assert _as_capitalised("il n'a pas été", "He was not") == "Il n'a pas été"
    assert _as_capitalised("¿qué?", "What?") == "¿Qué?"
    assert _as_capitalised("3 cosas", "Three things") == "3 cosas"
    assert _as_capitalised("and then", "and then") == "and then"
