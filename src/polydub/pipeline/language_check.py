"""Is what the recogniser wrote in the language it was asked for? A figure for the report.

Two signals: the share of letters in the language's own scripts (catches English or Urdu
letters for Hindi), and a text language identifier (catches English for Spanish). Either one
failing gives a `problem` a person can read; the transcript is never changed here.
"""

from __future__ import annotations

from pydantic import BaseModel

from polydub.domain.writing_system import MIN_SCRIPT_SHARE
from polydub.domain.writing_system import script_share as share_in_scripts
from polydub.engines.text_language import rank_languages

MIN_LETTERS = 20  # a language identifier is unreliable on less
SURE = 0.9  # the identifier must be this sure of another language ...
UNLIKELY = 0.05  # ... and give the expected one less than this
# Languages an identifier confuses on short or rough text: not a finding.
_NEIGHBOURS = {
    frozenset(pair)
    for pair in (
        ("pt", "gl"), ("es", "gl"), ("es", "ca"), ("es", "an"), ("es", "ext"), ("ca", "oc"),
        ("fr", "wa"), ("it", "vec"), ("it", "lij"), ("hi", "ne"), ("hi", "mr"), ("hi", "sa"),
        ("hi", "ur"), ("no", "da"), ("no", "nn"), ("sv", "no"), ("sr", "hr"), ("bs", "hr"),
        ("sr", "bs"), ("ms", "id"), ("ru", "uk"), ("ru", "be"), ("zh", "yue"), ("zh", "wuu"),
        ("de", "lb"), ("nl", "af"), ("en", "pcm"),
    )
}  # fmt: skip


class LanguageCheck(BaseModel):
    """How well a recognised text matches its expected language.

    Attributes:
        expected: the language the text should be in (ISO 639-1).
        script_share: share of its letters in that language's scripts (None: unknown).
        script_constrained: the recogniser had to be held to those scripts.
        detected: the text identifier's best language, and its probability.
        problem: why the text is not in the expected language; None when it is (or the
            text is too short to tell).
    """

    expected: str
    script_share: float | None = None
    script_constrained: bool = False
    detected: str | None = None
    detected_probability: float | None = None
    problem: str | None = None


def check_language(
    text: str,
    expected: str,
    *,
    script_share: float | None = None,
    script_constrained: bool = False,
) -> LanguageCheck:
    """Check `text` against `expected`; `script_share` is measured here when not given."""
    share = share_in_scripts(text, expected) if script_share is None else script_share
    check = LanguageCheck(
        expected=expected,
        script_share=None if share is None else round(share, 3),
        script_constrained=script_constrained,
    )
    if share is not None and share < MIN_SCRIPT_SHARE:
        return check.model_copy(
            update={
                "problem": f"only {share:.0%} of the recognised letters are in the script of "
                f"'{expected}': the recogniser probably translated or transliterated"
            }
        )
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return check
    ranked = rank_languages(text)
    best, probability = ranked[0]
    expected_probability = dict(ranked).get(expected, 0.0)
    check = check.model_copy(
        update={"detected": best, "detected_probability": round(probability, 3)}
    )
    if (
        best != expected
        and frozenset((best, expected)) not in _NEIGHBOURS
        and probability >= SURE
        and expected_probability < UNLIKELY
    ):
        return check.model_copy(
            update={
                "problem": f"the recognised text reads as '{best}' (p={probability:.2f}), "
                f"not '{expected}'"
            }
        )
    return check
