"""Which words a language knows, from the morphological analysers of Debian's Apertium pairs.

`lt-proc` with a pair's `*.automorf.bin` gives every reading of every word: `Jon<np><ant>`
(a first name), `Smith<n>/Smith<np><cog>` (a noun or a surname), `*Polydub` (unknown). Polydub
uses the readings to tell names from words (names are kept as said) and to tell a word left
untranslated from a target word that happens to look the same ("hotel", "idea").
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from polydub.engines.mt.apertium import iso_639_1

logger = logging.getLogger(__name__)

APERTIUM_DATA = Path("/usr/share/apertium")
# ^surface/reading1/reading2$ ; an unknown word is ^surface/*surface$
_UNIT = re.compile(r"\^([^/$]*)/([^$]*)\$")


class Lexicon:
    """Readings of words in one language, from one Apertium analyser.

    Args:
        analyser: an `*.automorf.bin` whose source side is the language.
    """

    def __init__(self, analyser: Path, binary: str = "lt-proc") -> None:
        self.analyser = analyser
        self._binary = binary
        self._known: dict[str, list[str]] = {}

    def readings(self, words: list[str]) -> dict[str, list[str]]:
        """word -> its readings (tag strings like "<np><ant><m><sg>"); [] for an unknown word."""
        todo = sorted({w for w in words if w and w not in self._known})
        if todo:
            # One word per line: the analyser reads each on its own (no multi-word units).
            done = subprocess.run(
                [self._binary, str(self.analyser)],
                input="\n".join(todo) + "\n",
                capture_output=True,
                encoding="utf-8",
                timeout=60,
                check=False,
            )
            if done.returncode != 0:
                logger.warning("lt-proc failed: %s", done.stderr.strip()[-300:])
                return {w: self._known.get(w, []) for w in words}
            for line, word in zip(done.stdout.splitlines(), todo, strict=False):
                self._known[word] = _parse_readings(line)
        return {w: self._known.get(w, []) for w in words}

    def knows(self, word: str) -> bool:
        return bool(self.readings([word])[word])


def _parse_readings(line: str) -> list[str]:
    readings: list[str] = []
    for _surface, analyses in _UNIT.findall(line):
        for analysis in analyses.split("/"):
            if analysis and not analysis.startswith(("*", "#", "@")):
                tags = analysis[analysis.find("<") :] if "<" in analysis else ""
                readings.append(tags)
    return readings


@cache
def lexicon_for(language: str) -> Lexicon | None:
    """The analyser for `language` (ISO 639-1) among the installed Apertium pairs, or None."""
    if shutil.which("lt-proc") is None or not APERTIUM_DATA.is_dir():
        return None
    analysers = [
        path
        for path in APERTIUM_DATA.glob("apertium-*/*.automorf.bin")
        if iso_639_1(path.name.split(".")[0].split("-")[0]) == language
    ]

    # Several pairs analyse English (eng-spa, eng-cat, en-gl); their lexicons differ (eng-cat
    # tags "Chief" a surname too). Prefer the pairs through Spanish, Apertium's best kept, then
    # through English, then the biggest.
    def preference(path: Path) -> tuple[int, int]:
        partner = iso_639_1(path.name.split(".")[0].split("-")[1].split("_")[0])
        return ({"es": 0, "en": 1}.get(partner, 2), -path.stat().st_size)

    return Lexicon(min(analysers, key=preference)) if analysers else None
