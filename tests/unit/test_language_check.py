"""The report's check that a recogniser wrote the language it was asked for."""

from __future__ import annotations

from polydub.pipeline.language_check import check_language
from polydub.pipeline.report import report_warnings

ENGLISH = "Today, the weather is very good, so we are going to the park to get some tea."


def test_a_translation_into_english_is_found_by_script_or_by_language():
    hindi = check_language(ENGLISH, "hi")
    assert hindi.script_share == 0.0 and "script" in hindi.problem
    spanish = check_language(ENGLISH, "es")
    assert spanish.script_share == 1.0
    assert spanish.detected == "en" and "'en'" in spanish.problem


def test_text_in_the_expected_language_has_no_problem():
    spanish = "Hoy hace buen tiempo, así que vamos a dar un paseo por el parque."
    check = check_language(spanish, "es")
    assert check.problem is None and check.detected == "es"
    hindi = "आज मौसम बहुत अच्छा है, इसलिए हम पार्क में टहलने जा रहे हैं।"
    assert check_language(hindi, "hi").problem is None
    # Rough machine translation still reads as its language, or a neighbour of it.
    rough = "Tener que digo este mensaje a? Todo. Derecho. Gracias."
    assert check_language(rough, "es").problem is None


def test_short_text_is_not_judged_by_the_identifier():
    check = check_language("Hello there", "es")
    assert check.problem is None and check.detected is None


def test_warnings_name_the_side_that_went_wrong():
    source = check_language(ENGLISH, "hi")
    held = check_language("आज मौसम बहुत अच्छा है", "hi", script_constrained=True)
    assert report_warnings(check_language("आज मौसम", "hi"), None) == []
    assert report_warnings(source, None)[0].startswith("source transcript: only 0%")
    assert "held to it" in report_warnings(held, None)[0]
    assert report_warnings(held.model_copy(update={"script_constrained": False}), source) == [
        "dub round trip: " + source.problem
    ]
