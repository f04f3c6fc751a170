"""OpenAIChatTranslator against a real HTTP server speaking the chat-completions protocol.

The server (a thread on 127.0.0.1) translates the JSON lines it receives word by word with a
small dictionary and follows the glossary in the system prompt, so the client's real prompt
construction, HTTP handling, JSON parsing, retries and fallbacks are all exercised. An opt-in run
against a real LLM is possible with llama-cpp-python's server and the Qwen2.5 GGUF (MODELS.md).
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from polydub.domain.glossary import Glossary, GlossaryTerm
from polydub.engines.mt.base import TranslationRequest
from polydub.engines.mt.openai_chat import OpenAIChatTranslator
from polydub.errors import EngineError
from polydub.pipeline.glossary import translate_with_glossary

pytestmark = pytest.mark.integration

_ES = {
    "hello": "hola", "friend": "amigo", "the": "el", "cat": "gato", "is": "es", "here": "aquí",
    "good": "buenos", "morning": "días", "bye": "adiós", "really": "realmente", "very": "muy",
}  # fmt: skip
# Words the server leaves out when asked for a shorter line, as a model would.
_DROPPABLE = {"realmente", "muy"}
_GLOSSARY_ENTRY = re.compile(r'- "(.+?)" -> "(.+?)"')


def _translate(text: str, glossary: dict[str, str]) -> str:
    for src, tgt in glossary.items():
        text = re.sub(rf"(?i)\b{re.escape(src)}\b", tgt.upper(), text)  # upper: keep it as is
    words = re.sub(r"\w+", lambda m: _ES.get(m[0].lower(), m[0]), text)
    return " ".join(words.split()).replace(" ,", ",")


class ChatServer:
    """A tiny OpenAI-compatible server; `mode` picks how it misbehaves."""

    def __init__(self) -> None:
        self.mode = "good"
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.wrong_answers_left = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                server.headers.append(dict(self.headers))
                status, answer = server.answer(self.path, body)
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, path: str, body: dict) -> tuple[int, dict]:
        if path != "/v1/chat/completions":
            return 404, {"error": {"message": f"no route {path}"}}
        if self.mode == "error":
            return 503, {"error": {"message": "model is loading"}}
        if self.mode == "slow":
            time.sleep(1.5)
        system = body["messages"][0]["content"]
        glossary = dict(_GLOSSARY_ENTRY.findall(system))
        lines = json.loads(body["messages"][1]["content"])["lines"]
        if system.startswith("You shorten"):
            items = [{"id": ln["id"], "text": self._shorter(ln)} for ln in lines]
        else:
            items = [{"id": ln["id"], "text": _translate(ln["text"], glossary)} for ln in lines]
        if len(lines) > 1 and self.wrong_answers_left > 0:
            self.wrong_answers_left -= 1
            items = items[:-1]
        content = json.dumps({"translations": items}, ensure_ascii=False)
        if self.mode == "fenced":
            content = f"Here are the translations:\n```json\n{content}\n```"
        if self.mode == "plain" and len(lines) == 1:
            content = items[0]["text"]
        message = {"role": "assistant", "content": content}
        return 200, {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}

    def _shorter(self, line: dict) -> str:
        """The line's translation without droppable words while it is over its budget (in
        "stubborn" mode, unchanged: a model that will not shorten)."""
        words = line["translation"].split()
        while self.mode != "stubborn" and len(" ".join(words)) > line.get("max_chars", 10**6):
            droppable = [k for k, w in enumerate(words) if w.lower().strip(".,") in _DROPPABLE]
            if not droppable:
                break
            del words[droppable[0]]
        return " ".join(words)


@pytest.fixture(scope="module")
def chat_server():
    server = ChatServer()
    yield server
    server.httpd.shutdown()


@pytest.fixture
def server(chat_server):
    chat_server.mode = "good"
    chat_server.requests.clear()
    chat_server.headers.clear()
    chat_server.wrong_answers_left = 0
    return chat_server


def test_one_request_carries_context_length_targets_and_glossary(server):
    engine = OpenAIChatTranslator(server.base_url, api_key="secret", model="qwen", timeout_s=5)
    request = TranslationRequest(
        context="A: Hello, friend!\nB: The cat is here.",
        max_chars=[18, 30, None, 9],
        glossary={"Polydub": "Polydub"},
    )
    texts = ["Hello, friend!", "", "The cat is here.", "Good morning"]
    out = engine.translate(texts, "en", "es", request)
    assert out == ["hola, amigo!", "", "el gato es aquí.", "buenos días"]
    assert len(server.requests) == 1
    sent = server.requests[0]
    assert sent["model"] == "qwen" and sent["temperature"] == 0
    assert server.headers[0]["Authorization"] == "Bearer secret"
    system, user = sent["messages"][0]["content"], json.loads(sent["messages"][1]["content"])
    assert "from English to Spanish" in system
    assert '"Polydub" -> "Polydub"' in system
    assert user["context"] == request.context
    # The empty line is not sent; length targets follow their lines.
    assert user["lines"] == [
        {"id": 1, "text": "Hello, friend!", "max_chars": 18},
        {"id": 2, "text": "The cat is here."},
        {"id": 3, "text": "Good morning", "max_chars": 9},
    ]


def test_long_batches_are_chunked_in_order(server):
    engine = OpenAIChatTranslator(server.base_url, timeout_s=5, chunk_size=2)
    texts = ["hello", "friend", "cat", "bye", "the cat"]
    assert engine.translate(texts, "en", "es") == ["hola", "amigo", "gato", "adiós", "el gato"]
    assert [len(json.loads(r["messages"][1]["content"])["lines"]) for r in server.requests] == [
        2,
        2,
        1,
    ]


def test_fenced_answer_with_chatter_is_parsed(server):
    server.mode = "fenced"
    engine = OpenAIChatTranslator(server.base_url, timeout_s=5)
    assert engine.translate(["hello", "bye"], "en", "es") == ["hola", "adiós"]


def test_wrong_count_is_retried_once_with_a_stricter_instruction(server):
    server.wrong_answers_left = 1
    engine = OpenAIChatTranslator(server.base_url, timeout_s=5)
    assert engine.translate(["hello", "friend", "bye"], "en", "es") == ["hola", "amigo", "adiós"]
    assert len(server.requests) == 2
    retry = server.requests[1]["messages"]
    assert retry[-2]["role"] == "assistant"
    assert "exactly 3 items" in retry[-1]["content"]


def test_persistent_wrong_count_falls_back_to_line_by_line(server):
    server.wrong_answers_left = 2
    server.mode = "plain"  # single lines come back as bare text
    engine = OpenAIChatTranslator(server.base_url, timeout_s=5)
    assert engine.translate(["hello", "friend", "bye"], "en", "es") == ["hola", "amigo", "adiós"]
    assert len(server.requests) == 2 + 3


def test_glossary_goes_through_the_prompt_and_is_checked(server):
    engine = OpenAIChatTranslator(server.base_url, timeout_s=5)
    glossary = Glossary(terms=(GlossaryTerm(source="cat", target="MININO"),))
    translations, violations = translate_with_glossary(
        engine, ["The cat is here.", "hello"], "en", "es", glossary
    )
    assert translations == ["el MININO es aquí.", "hola"]
    assert violations == []
    assert "XTERM" not in server.requests[0]["messages"][1]["content"]  # no placeholders


def test_http_error_becomes_engine_error_with_status_and_detail(server):
    server.mode = "error"
    engine = OpenAIChatTranslator(server.base_url, timeout_s=5)
    with pytest.raises(EngineError, match="HTTP 503.*model is loading"):
        engine.translate(["hello"], "en", "es")
    wrong_path = OpenAIChatTranslator(server.base_url.removesuffix("/v1"), timeout_s=5)
    with pytest.raises(EngineError, match="HTTP 404"):
        wrong_path.translate(["hello"], "en", "es")


def test_timeout_and_unreachable_server_are_engine_errors(server):
    server.mode = "slow"
    engine = OpenAIChatTranslator(server.base_url, timeout_s=0.3)
    with pytest.raises(EngineError, match="did not answer in time"):
        engine.translate(["hello"], "en", "es")
    closed = OpenAIChatTranslator("http://127.0.0.1:9/v1", timeout_s=2)
    with pytest.raises(EngineError, match="cannot reach"):
        closed.translate(["hello"], "en", "es")


def test_declared_languages_limit_targets(server):
    engine = OpenAIChatTranslator(server.base_url, languages=["es"], timeout_s=5)
    assert engine.supports("en", "es") and engine.supports("fr", "es")
    with pytest.raises(EngineError, match="does not translate en->de"):
        engine.translate(["hello"], "en", "de")


def test_a_line_too_long_for_its_slot_is_asked_again_with_its_character_budget(server):
    from polydub.domain.transcript import Segment, Transcript
    from polydub.pipeline.artifacts import DiarizationArtifact
    from polydub.pipeline.translate import translate

    # 0.8 s for the first line (another speaker answers 0.1 s after it): 15 characters at
    # 1.25x; its translation has 34, so it is asked again with that budget.
    diarized = DiarizationArtifact(
        transcript=Transcript(
            language="en",
            segments=[
                Segment(index=0, start=0.0, end=0.8, text="The cat is really very very here."),
                Segment(index=1, start=0.9, end=2.0, text="Hello.", speaker="B"),
            ],
        ),
        speakers=["SPEAKER_00", "B"],
        method="test",
    )
    engine = OpenAIChatTranslator(server.base_url, timeout_s=5)
    done = translate(diarized, translator=engine, target="es", glossary=None, max_rate=1.25)
    assert [s.translation for s in done.segments] == ["El gato es aquí.", "Hola."]
    (attempt,) = done.phrasing
    assert attempt.model_dump() == {
        "segments": [0],
        "budget_chars": 15,
        "chars_before": 34,
        "chars_after": 16,
        "method": "length request",
        "outcome": "shortened",
    }
    assert len(server.requests) == 2
    asked = server.requests[1]["messages"]
    assert 'at most "max_chars" characters' in asked[0]["content"]
    assert json.loads(asked[1]["content"])["lines"] == [
        {
            "id": 1,
            "text": "The cat is really very very here.",
            "translation": "El gato es realmente muy muy aquí.",
            "max_chars": 15,
        }
    ]

    # A model that answers with the same length: the first translation stays, and says so.
    server.mode = "stubborn"
    done = translate(diarized, translator=engine, target="es", glossary=None, max_rate=1.25)
    assert done.segments[0].translation == "El gato es realmente muy muy aquí."
    assert done.phrasing[0].outcome == "no shorter phrasing"
