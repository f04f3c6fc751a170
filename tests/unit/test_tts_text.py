"""Pure helpers behind the TTS engines: sentence chunking, phoneme timing, ONNX outputs, trim."""

from __future__ import annotations

import numpy as np

from polydub.engines.tts.kokoro import pack_chunks, split_sentences
from polydub.engines.tts.onnx_outputs import _fields, add_graph_outputs, node_outputs
from polydub.engines.tts.phoneme_timing import merge_phoneme_timings
from polydub.engines.tts.silence import trim_silence


def test_split_sentences_latin_and_cjk():
    assert split_sentences("Hi there. How are you?  Fine!") == [
        "Hi there.",
        "How are you?",
        "Fine!",
    ]
    assert split_sentences("今日は。いい天気！") == ["今日は。", "いい天気！"]
    assert split_sentences("   ") == []


def test_pack_chunks_respects_the_limit_and_keeps_everything():
    sentences = ["a" * 30, "b" * 30, "c" * 30, "d e f " * 20]
    chunks = pack_chunks(sentences, limit=64)
    assert all(len(c) <= 64 for c in chunks)
    assert "".join(chunks).replace(" ", "") == "".join(sentences).replace(" ", "")
    assert chunks[0] == "a" * 30 + " " + "b" * 30
    assert pack_chunks(["x" * 150], limit=64) == ["x" * 64, "x" * 64, "x" * 22]


def test_merge_phoneme_timings_folds_modifiers_and_skips_pauses():
    # "ˈaː, b": stress before a, length after a, a comma pause, a space, then b.
    symbols = "ˈaː, b"
    edges = np.arange(len(symbols) + 1) * 0.1
    timings = merge_phoneme_timings(symbols, edges)
    assert [(t.phoneme, round(t.start, 2), round(t.end, 2)) for t in timings] == [
        ("aː", 0.0, 0.3),
        ("b", 0.5, 0.6),
    ]


def _onnx_like(graph: bytes) -> bytes:
    # ModelProto{ir_version=8 (field 1 varint), graph (field 7)}
    return bytes([0x08, 0x08, 0x3A, len(graph)]) + graph


def test_add_graph_outputs_appends_an_output_to_the_graph():
    node = b"\x12\x03out" + b"\x22\x04Ceil"  # NodeProto{output="out", op_type="Ceil"}
    model = _onnx_like(b"\x0a" + bytes([len(node)]) + node)
    assert node_outputs(model, "Ceil") == ["out"]
    patched = add_graph_outputs(model, ["out"])
    graph = next(patched[s:e] for f, _, s, e in _fields(memoryview(patched)) if f == 7)
    outputs = [bytes(graph[s:e]) for f, _, s, e in _fields(memoryview(graph)) if f == 12]
    assert outputs == [b"\x0a\x03out"]  # ValueInfoProto{name="out"}
    assert node_outputs(patched, "Ceil") == ["out"]


def test_trim_silence_keeps_fifty_milliseconds():
    rate = 1000
    tone = np.sin(np.arange(500) / 3.0).astype(np.float32)
    samples = np.concatenate([np.zeros(400, np.float32), tone, np.zeros(700, np.float32)])
    trimmed, cut = trim_silence(samples, rate, keep_seconds=0.05)
    assert cut == 0.35
    assert len(trimmed) == 50 + 500 + 50
