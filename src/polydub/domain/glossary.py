"""A glossary: source terms that must come out of translation as given target terms.

Used for names, brands and jargon ("Polydub" stays "Polydub", "sign-up" becomes "registro").
A target that is empty or equal to the source means "do not translate".
"""

from __future__ import annotations

import csv
import io

from pydantic import BaseModel, ConfigDict, Field, field_validator

_HEADER = ("source", "target")
_TRUE = {"1", "true", "yes", "y"}


class GlossaryTerm(BaseModel):
    """One term. Matching is on whole words, ignoring case unless `case_sensitive`."""

    model_config = ConfigDict(frozen=True)

    source: str
    target: str = ""
    case_sensitive: bool = False

    @field_validator("source", "target")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("source")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("a glossary term needs a source text")
        return value

    @property
    def required_target(self) -> str:
        """What the translation must contain: the target, or the source when kept as is."""
        return self.target or self.source

    @property
    def keeps_source(self) -> bool:
        """True when the term must stay untranslated."""
        return self.required_target == self.source


class Glossary(BaseModel):
    """An ordered list of terms; a later duplicate source (same case rule) is dropped."""

    model_config = ConfigDict(frozen=True)

    terms: tuple[GlossaryTerm, ...] = Field(default_factory=tuple)

    @field_validator("terms")
    @classmethod
    def _unique(cls, terms: tuple[GlossaryTerm, ...]) -> tuple[GlossaryTerm, ...]:
        seen: set[str] = set()
        unique = []
        for term in terms:
            key = term.source if term.case_sensitive else term.source.casefold()
            if key not in seen:
                seen.add(key)
                unique.append(term)
        return tuple(unique)

    def __len__(self) -> int:
        return len(self.terms)

    def as_dict(self) -> dict[str, str]:
        """Source term -> required target term (what instruction-following engines get)."""
        return {term.source: term.required_target for term in self.terms}


def parse_glossary_csv(text: str) -> Glossary:
    """Read a glossary from CSV text.

    Accepts a `source,target[,case_sensitive]` header or HeyGen-style rows of two columns with
    no header; commas, semicolons or tabs as delimiter; blank lines are skipped.

    Raises:
        ValueError: a row has fewer than two columns or an empty source; the message gives
            its line number.
    """
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), dialect=_dialect(text)))
    terms = []
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and tuple(c.casefold() for c in cells[:2]) == _HEADER:
            continue
        if len(cells) < 2 or not cells[0]:
            raise ValueError(f"glossary line {number}: expected 'source,target', got {row!r}")
        case_sensitive = len(cells) > 2 and cells[2].casefold() in _TRUE
        terms.append(GlossaryTerm(source=cells[0], target=cells[1], case_sensitive=case_sensitive))
    return Glossary(terms=tuple(terms))


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel
