"""Translation through an OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama, ...).

An LLM reads the whole dialogue, so it can keep gender and formality consistent, aim at a length
per line and follow a glossary: the best quality Polydub can reach when the user runs one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx

from polydub.domain.language import language_name
from polydub.engines.mt.base import TranslationRequest, Translator
from polydub.engines.mt.chat_prompt import (
    build_messages,
    build_shorten_messages,
    count_items,
    parse_translations,
    plain_text,
    strict_followup,
)
from polydub.errors import EngineError

logger = logging.getLogger(__name__)


class OpenAIChatTranslator(Translator):
    """Translate lines in chunks through `POST {base_url}/chat/completions`.

    Each chunk is one request; an answer with the wrong number of lines is retried once with a
    stricter instruction, then the chunk falls back to one request per line.

    Args:
        base_url: the API root, e.g. "http://127.0.0.1:8080/v1".
        api_key: sent as a bearer token when given.
        model: the model name the server expects.
        languages: target ISO 639-1 codes to offer; empty means any language.
        timeout_s: the longest one request may take.
        chunk_size: lines per request.
        context_chars: the most transcript characters sent as context with each chunk.
        temperature: sampling temperature; 0 keeps translations repeatable.
    """

    name = "openai-chat"
    follows_instructions = True
    shortens_by = "length request"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        model: str = "default",
        languages: Sequence[str] = (),
        timeout_s: float = 120.0,
        *,
        chunk_size: int = 20,
        context_chars: int = 6000,
        temperature: float = 0.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._languages = list(languages)
        self._chunk_size = max(1, chunk_size)
        self._context_chars = context_chars
        self._temperature = temperature
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url + "/",
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)),
        )

    def pairs(self) -> set[tuple[str, str]]:
        if not self._languages:
            return {("*", "*")}
        return {("*", code) for code in self._languages}

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def _translate_batch(
        self, texts: list[str], source: str, target: str, request: TranslationRequest
    ) -> list[str]:
        out: list[str] = []
        for start in range(0, len(texts), self._chunk_size):
            chunk = texts[start : start + self._chunk_size]
            limits = request.max_chars[start : start + len(chunk)] if request.max_chars else None
            messages = build_messages(
                chunk,
                language_name(source),
                language_name(target),
                context=_context_window(request.context, chunk[0], self._context_chars),
                max_chars=limits,
                glossary=request.glossary,
            )
            out.extend(self._translate_chunk(messages, chunk, limits, source, target, request))
        return out

    def shorten(
        self,
        texts: list[str],
        translations: list[str],
        source: str,
        target: str,
        request: TranslationRequest,
    ) -> list[str]:
        """One request per chunk naming each line's character budget; a line whose answer
        cannot be parsed keeps its translation (the caller sees no shorter phrasing)."""
        out: list[str] = []
        limits = request.max_chars or [None] * len(texts)
        for start in range(0, len(texts), self._chunk_size):
            end = start + self._chunk_size
            messages = build_shorten_messages(
                texts[start:end],
                translations[start:end],
                limits[start:end],
                language_name(source),
                language_name(target),
                glossary=request.glossary,
            )
            shorter = parse_translations(self._complete(messages), len(texts[start:end]))
            out.extend(shorter if shorter is not None else translations[start:end])
        return [text.strip() for text in out]

    def _translate_chunk(
        self,
        messages: list[dict[str, str]],
        chunk: list[str],
        limits: list[int | None] | None,
        source: str,
        target: str,
        request: TranslationRequest,
    ) -> list[str]:
        answer = self._complete(messages)
        translations = parse_translations(answer, len(chunk))
        if translations is not None:
            return translations
        got = count_items(answer)
        logger.info("%s: %s items for %d lines; asking again", self.name, got, len(chunk))
        answer = self._complete(messages + strict_followup(answer, got, len(chunk)))
        translations = parse_translations(answer, len(chunk))
        if translations is not None:
            return translations
        logger.warning("%s: wrong item count twice; translating line by line", self.name)
        out = []
        for i, line in enumerate(chunk):
            single = build_messages(
                [line],
                language_name(source),
                language_name(target),
                context=_context_window(request.context, line, self._context_chars),
                max_chars=[limits[i]] if limits else None,
                glossary=request.glossary,
            )
            out.append(plain_text(self._complete(single)))
        return out

    def _complete(self, messages: list[dict[str, str]]) -> str:
        """One chat completion; the answer's text."""
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": self._temperature,
            "stream": False,
        }
        url = f"{self.base_url}/chat/completions"
        try:
            response = self._client.post("chat/completions", json=body)
            response.raise_for_status()
            return response.json()["choices"][0]["message"]["content"] or ""
        except httpx.HTTPStatusError as exc:
            detail = exc.response.text.strip()[:300]
            raise EngineError(f"{url} answered HTTP {exc.response.status_code}: {detail}") from exc
        except httpx.TimeoutException as exc:
            raise EngineError(f"{url} did not answer in time ({exc})") from exc
        except httpx.HTTPError as exc:
            raise EngineError(f"cannot reach {url}: {exc}") from exc
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise EngineError(f"{url} sent an answer that is not a chat completion") from exc


def _context_window(context: str | None, anchor: str, size: int) -> str | None:
    """At most `size` characters of `context`, centred on where `anchor` occurs."""
    if not context or len(context) <= size:
        return context
    at = max(context.find(anchor), 0)
    start = max(0, min(at - size // 2, len(context) - size))
    return context[start : start + size]
