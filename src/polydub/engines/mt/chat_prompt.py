"""Prompts for translating dub lines with a chat LLM, and robust parsing of its JSON answers.

Lines travel as a numbered JSON list in one request, so the model sees them together (pronouns,
gender and formality carry across lines) and answers with one item per id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n?|\n?\s*```\s*$")

_SYSTEM = """You translate dialogue for dubbing from {source} to {target}.
A voice actor will speak each translation in the time slot of the original line.
Rules:
1. Answer with JSON only, no commentary: {{"translations": [{{"id": 1, "text": "..."}}, ...]}}
   with exactly one item per input line, using the same ids in the same order.
2. When a line has "max_chars", keep its translation within that many characters: choose
   shorter wording, but keep the meaning.
3. Use the context (the surrounding transcript) to resolve pronouns, gender and formality.
   Translate only the lines, never the context.
4. Translate every line naturally, as people speak; keep names, numbers and tone."""

_GLOSSARY = """5. Glossary, mandatory: wherever a source term occurs, write exactly the given target
   term (same spelling and case):
{entries}"""

_SHORTEN = """You shorten dubbing translations from {source} to {target}.
Each line's translation is too long to be spoken in the time slot of the original line.
Rules:
1. Answer with JSON only, no commentary: {{"translations": [{{"id": 1, "text": "..."}}, ...]}}
   with exactly one item per input line, using the same ids in the same order.
2. Rewrite each "translation" in at most "max_chars" characters: shorter words, fewer fillers,
   simpler constructions. Keep the meaning of "text" (the original line), its names and numbers.
3. Never answer with only part of the line, and never add anything."""

_STRICT = (
    "Your answer had {got} items but there are {expected} lines. Answer again with JSON only: "
    '{{"translations": [...]}} holding exactly {expected} items, ids 1 to {expected}.'
)


def build_messages(
    lines: Sequence[str],
    source_name: str,
    target_name: str,
    *,
    context: str | None = None,
    max_chars: Sequence[int | None] | None = None,
    glossary: dict[str, str] | None = None,
) -> list[dict[str, str]]:
    """The chat messages asking for `lines` translated, one JSON item per line.

    Args:
        lines: the texts to translate.
        source_name: the source language's name ("English").
        target_name: the target language's name ("Spanish").
        context: the surrounding transcript, if any.
        max_chars: per line, the character budget of its translation (None: no budget).
        glossary: source term -> required target term; "" means keep the term untranslated.

    Returns:
        OpenAI-style messages: a system message with the rules, a user message with the lines.
    """
    system = _SYSTEM.format(source=source_name, target=target_name)
    if glossary:
        entries = "\n".join(
            f"   - {json.dumps(src, ensure_ascii=False)} -> "
            f"{json.dumps(tgt or src, ensure_ascii=False)}"
            + (" (keep untranslated)" if not tgt or tgt == src else "")
            for src, tgt in glossary.items()
        )
        system += "\n" + _GLOSSARY.format(entries=entries)
    items: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        item: dict[str, Any] = {"id": i + 1, "text": line}
        if max_chars and max_chars[i]:
            item["max_chars"] = max_chars[i]
        items.append(item)
    payload: dict[str, Any] = {"lines": items}
    if context:
        payload = {"context": context, **payload}
    user = json.dumps(payload, ensure_ascii=False, indent=1)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def build_shorten_messages(
    lines: Sequence[str],
    translations: Sequence[str],
    max_chars: Sequence[int | None],
    source_name: str,
    target_name: str,
    *,
    glossary: dict[str, str] | None = None,
) -> list[dict[str, str]]:
    """The chat messages asking for shorter wordings of `translations` (of `lines`), each
    within its `max_chars` budget; answered like `build_messages`' request."""
    system = _SHORTEN.format(source=source_name, target=target_name)
    if glossary:
        entries = "\n".join(
            f"   - {json.dumps(src, ensure_ascii=False)} -> "
            f"{json.dumps(tgt or src, ensure_ascii=False)}"
            for src, tgt in glossary.items()
        )
        system += "\n" + _GLOSSARY.format(entries=entries).replace("5.", "4.", 1)
    items = []
    for i, (line, translation) in enumerate(zip(lines, translations, strict=True)):
        item: dict[str, Any] = {"id": i + 1, "text": line, "translation": translation}
        if max_chars[i]:
            item["max_chars"] = max_chars[i]
        items.append(item)
    user = json.dumps({"lines": items}, ensure_ascii=False, indent=1)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def strict_followup(answer: str, got: int | None, expected: int) -> list[dict[str, str]]:
    """Messages to append after an answer with the wrong number of items."""
    return [
        {"role": "assistant", "content": answer},
        {"role": "user", "content": _STRICT.format(got=got or 0, expected=expected)},
    ]


def parse_translations(answer: str, expected: int) -> list[str] | None:
    """The translations in a model's answer, or None unless there are exactly `expected`.

    Accepts {"translations": [...]} or a bare list, of strings or of {"id", "text"} objects,
    inside code fences or surrounded by chatter.
    """
    items = _items(_load_json(answer))
    if items is None or len(items) != expected:
        return None
    return items


def count_items(answer: str) -> int | None:
    """How many translations an answer holds (for the retry message); None if unparseable."""
    items = _items(_load_json(answer))
    return None if items is None else len(items)


def plain_text(answer: str) -> str:
    """A one-line answer as text: fences, JSON wrapping and surrounding quotes removed."""
    items = _items(_load_json(answer))
    if items and len(items) == 1:
        return items[0]
    text = _FENCE.sub("", answer.strip()).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1]
    return text.strip()


def _load_json(answer: str) -> Any:
    text = _FENCE.sub("", answer.strip())
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    # Chatter around the JSON: take the outermost object or list.
    for opening, closing in (("{", "}"), ("[", "]")):
        start, end = text.find(opening), text.rfind(closing)
        if 0 <= start < end:
            try:
                return json.loads(text[start : end + 1])
            except json.JSONDecodeError:
                continue
    return None


def _items(data: Any) -> list[str] | None:
    if isinstance(data, dict):
        data = data.get("translations", data.get("lines"))
    if not isinstance(data, list):
        return None
    if all(isinstance(item, str) for item in data):
        return list(data)
    if not all(isinstance(item, dict) for item in data):
        return None
    texts = [item.get("text", item.get("translation")) for item in data]
    if not all(isinstance(text, str) for text in texts):
        return None
    ids = [item.get("id") for item in data]
    if all(isinstance(i, int) for i in ids) and sorted(ids) == list(range(1, len(data) + 1)):
        # Models sometimes reorder; the ids say where each text belongs.
        by_id = dict(zip(ids, texts, strict=True))
        return [by_id[i] for i in range(1, len(data) + 1)]
    return texts
