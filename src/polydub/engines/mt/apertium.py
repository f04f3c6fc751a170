"""Rule-based translation with Debian's `apertium` and whichever pair packages are installed.

Rough but offline and fast (hundreds of lines/s). The pairs come from `apertium -l` at run time,
so installing another package (apertium-eng-cat, apertium-en-gl, ...) adds its languages.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess

from polydub.engines.mt.base import TranslationRequest, Translator
from polydub.errors import EngineError

logger = logging.getLogger(__name__)

# Apertium names languages with ISO 639-3 codes (older pairs with 639-1); Polydub uses 639-1.
_ISO_639_3_TO_1 = {
    "afr": "af", "arg": "an", "ast": "ast", "bel": "be", "bre": "br", "bul": "bg", "cat": "ca",
    "dan": "da", "deu": "de", "ell": "el", "eng": "en", "epo": "eo", "eus": "eu", "fin": "fi",
    "fra": "fr", "glg": "gl", "hbs": "sh", "hin": "hi", "isl": "is", "ita": "it", "mkd": "mk",
    "nld": "nl", "nno": "nn", "nob": "nb", "nor": "no", "oci": "oc", "pol": "pl", "por": "pt",
    "ron": "ro", "rus": "ru", "slv": "sl", "spa": "es", "srd": "sc", "swe": "sv", "ukr": "uk",
    "urd": "ur", "zlm": "ms",
}  # fmt: skip
# Mode names are "<src>-<tgt>" with an optional "_<variant>" ("spa-eng_US", "es-pt_BR").
_MODE = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")
# A blank line is a sentence and paragraph break Apertium keeps, so one process can translate a
# whole batch; single line breaks are not (words move across them).
_SEPARATOR = "\n\n"


def iso_639_1(code: str) -> str:
    """Apertium's language code ("eng", "en") as ISO 639-1 ("en"); unknown codes unchanged."""
    return _ISO_639_3_TO_1.get(code, code)


def parse_modes(listing: str) -> dict[tuple[str, str], str]:
    """Map (source, target) ISO 639-1 pairs to Apertium mode names from `apertium -l` output.

    Regional variants ("spa-eng_US") and chained modes ("eco-es-fr") are skipped: the plain
    mode is the pair's default.
    """
    modes: dict[tuple[str, str], str] = {}
    for name in listing.split():
        match = _MODE.match(name)
        if match:
            modes.setdefault((iso_639_1(match[1]), iso_639_1(match[2])), name)
    return modes


class ApertiumTranslator(Translator):
    """Translate through the `apertium` command line, one process per batch.

    Args:
        binary: the apertium executable (name on PATH or a path).
        timeout_s: the longest one batch may take.

    Raises:
        EngineError: the binary is missing or cannot list its pairs.
    """

    name = "apertium"

    def __init__(self, binary: str = "apertium", timeout_s: float = 300.0) -> None:
        resolved = shutil.which(binary)
        if resolved is None:
            raise EngineError(f"{binary} not found; install Debian's apertium and a pair package")
        self._binary = resolved
        self._timeout_s = timeout_s
        listing = self._run(["-l"], "")
        self._modes = parse_modes(listing)
        logger.info("apertium pairs: %s", ", ".join(sorted(self._modes.values())) or "none")

    def pairs(self) -> set[tuple[str, str]]:
        return set(self._modes)

    def mode(self, source: str, target: str) -> str:
        """The Apertium mode that serves `source`->`target` (e.g. "eng-spa")."""
        return self._modes[(source, target)]

    def _translate_batch(
        self, texts: list[str], source: str, target: str, request: TranslationRequest
    ) -> list[str]:
        mode = self.mode(source, target)
        # Each text becomes one paragraph: line breaks inside a text would split it apart.
        lines = [" ".join(text.split()) for text in texts]
        output = self._run(["-u", mode], _SEPARATOR.join(lines) + "\n")
        parts = output.rstrip("\n").split(_SEPARATOR)
        if len(parts) != len(lines):
            # Never seen in tests; one process per line is slower but cannot misalign.
            logger.warning(
                "apertium %s returned %d paragraphs for %d; translating line by line",
                mode,
                len(parts),
                len(lines),
            )
            parts = [self._run(["-u", mode], line + "\n") for line in lines]
        return [" ".join(part.split()) for part in parts]

    def _run(self, args: list[str], stdin: str) -> str:
        try:
            done = subprocess.run(
                [self._binary, *args],
                input=stdin,
                capture_output=True,
                encoding="utf-8",
                timeout=self._timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineError(f"apertium {' '.join(args)} timed out after {exc.timeout}s") from exc
        if done.returncode != 0:
            detail = done.stderr.strip()[-500:]
            raise EngineError(f"apertium {' '.join(args)} failed ({done.returncode}): {detail}")
        return done.stdout
