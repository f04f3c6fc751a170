"""CTranslate2Translator on real converted models: tiny, randomly initialised, built here.

No converted model ships in a package, so the fixture trains a SentencePiece model on a few
sentences, builds a tiny MarianMT model with transformers and converts it with CTranslate2's own
converter, exactly as a user converts Opus-MT. The same model, with language tokens in its
vocabulary and its SentencePiece file under NLLB's name, stands in for an NLLB directory.
The output is gibberish; the tests check the plumbing around it.
"""

from __future__ import annotations

import shutil

import pytest
from tiny_marian import build_tiny_marian

from polydub.engines.mt.ctranslate2_mt import CTranslate2Translator
from polydub.errors import EngineError

pytestmark = pytest.mark.integration

pytest.importorskip("transformers")
ctranslate2 = pytest.importorskip("ctranslate2")
spm = pytest.importorskip("sentencepiece")

_CORPUS = [
    "the cat is on the table",
    "hello my friend",
    "where is the station",
    "we are going home now",
    "thank you very much",
    "o gato está na mesa",
    "el gato está en la mesa",
]
_LANGUAGE_TOKENS = ["eng_Latn", "spa_Latn", "fra_Latn"]


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Converted model directories: {"opus": <opus-mt dir>, "nllb": <nllb-style dir>}."""
    import torch

    root = tmp_path_factory.mktemp("ct2")
    tiny = build_tiny_marian(root, _CORPUS, vocab_size=60, language_tokens=_LANGUAGE_TOKENS)
    with torch.no_grad():
        tiny.model.final_logits_bias[0, 0] = -1e4  # never emit </s>: outputs run to the cap
        for token in _LANGUAGE_TOKENS:  # nor a language token, as a trained model would not
            tiny.model.final_logits_bias[0, tiny.vocab[token]] = -1e4
    tiny.save()
    hf_dir = tiny.folder

    opus = root / "opus-mt-en-es"
    converter = ctranslate2.converters.TransformersConverter(
        str(hf_dir), copy_files=["source.spm", "target.spm"]
    )
    converter.convert(str(opus), quantization="int8")

    nllb = root / "nllb-tiny"
    shutil.copytree(opus, nllb)
    (nllb / "source.spm").rename(nllb / "sentencepiece.bpe.model")
    (nllb / "target.spm").unlink()
    return {"opus": opus, "nllb": nllb, "spm": root / "sp.model"}


def test_opus_mt_plumbing(tiny_models):
    engine = CTranslate2Translator(
        tiny_models["opus"], source="en", target="es", beam_size=2, max_decoding_length=12
    )
    assert engine.pairs() == {("en", "es")}
    texts = ["the cat is on the table", "", "Hello my friend. Where is the station?", "hi"]
    first = engine.translate(texts, "en", "es")
    assert len(first) == len(texts)
    assert first[1] == ""
    assert all(first[i] for i in (0, 2, 3))
    assert first == engine.translate(texts, "en", "es")  # deterministic
    assert first[0] != first[3]  # the input matters
    # Two sentences are translated separately and joined with a space.
    separately = engine.translate(["Hello my friend.", "Where is the station?"], "en", "es")
    assert first[2] == " ".join(separately)
    with pytest.raises(EngineError, match="does not translate en->fr"):
        engine.translate(["hello"], "en", "fr")


def test_max_decoding_length_caps_the_output(tiny_models):
    def length(cap: int) -> int:
        engine = CTranslate2Translator(
            tiny_models["opus"], source="en", target="es", beam_size=1, max_decoding_length=cap
        )
        return len(engine.translate(["the cat is on the table"], "en", "es")[0])

    assert 0 < length(3) < length(20)


def test_nllb_style_model_uses_language_tokens(tiny_models):
    engine = CTranslate2Translator(tiny_models["nllb"], family="nllb", beam_size=2)
    # Languages come from the tokens in the model's vocabulary.
    assert engine.pairs() == {(a, b) for a in "en es fr".split() for b in "en es fr".split()} - {
        ("en", "en"),
        ("es", "es"),
        ("fr", "fr"),
    }
    text = "the cat is on the table"
    to_spanish = engine.translate([text], "en", "es")[0]
    to_french = engine.translate([text], "en", "fr")[0]
    assert to_spanish and to_french and to_spanish != to_french
    assert "Latn" not in to_spanish + to_french  # the language token is stripped

    # The same call made by hand, as CTranslate2's NLLB guide does it.
    processor = spm.SentencePieceProcessor(model_file=str(tiny_models["spm"]))
    reference = ctranslate2.Translator(str(tiny_models["nllb"]), device="cpu", compute_type="int8")
    source = ["eng_Latn", *processor.encode(text, out_type=str), "</s>"]
    [result] = reference.translate_batch(
        [source], target_prefix=[["spa_Latn"]], beam_size=2, max_decoding_length=256
    )
    assert result.hypotheses[0][0] == "spa_Latn"
    assert to_spanish == processor.decode(result.hypotheses[0][1:])


def test_wrong_directories_fail_clearly(tiny_models, tmp_path):
    with pytest.raises(EngineError, match="no model.bin"):
        CTranslate2Translator(tmp_path, source="en", target="es")
    with pytest.raises(EngineError, match="source.spm"):
        CTranslate2Translator(tiny_models["nllb"], source="en", target="es")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_models["opus"], broken)
    (broken / "model.bin").write_bytes(b"not a model")
    engine = CTranslate2Translator(broken, source="en", target="es")
    with pytest.raises(EngineError, match="cannot load CTranslate2 model"):
        engine.translate(["hello"], "en", "es")


def test_a_line_too_long_for_its_slot_takes_a_shorter_hypothesis_of_the_beam(tiny_models):
    from polydub.domain.transcript import Segment, Transcript
    from polydub.engines.mt.base import TranslationRequest
    from polydub.pipeline.artifacts import DiarizationArtifact
    from polydub.pipeline.translate import translate

    def engine(margin: float) -> CTranslate2Translator:
        return CTranslate2Translator(
            tiny_models["opus"], source="en", target="es", beam_size=4, max_decoding_length=12,
            alternatives=4, alternative_margin=margin,
        )  # fmt: skip

    # The beam's hypotheses, asked of CTranslate2 by hand; the first sentence whose beam holds
    # a shorter one than the best is the case this test is about.
    processor = spm.SentencePieceProcessor(model_file=str(tiny_models["spm"]))
    reference = ctranslate2.Translator(str(tiny_models["opus"]), device="cpu", compute_type="int8")
    for sentence in _CORPUS:
        [result] = reference.translate_batch(
            [[*processor.encode(sentence, out_type=str), "</s>"]],
            beam_size=4, num_hypotheses=4, return_scores=True, max_decoding_length=12,
        )  # fmt: skip
        hypotheses = [processor.decode(tokens) for tokens in result.hypotheses]
        best, shortest = hypotheses[0], min(hypotheses, key=len)
        if len(shortest) < len(best):
            break
    assert len(shortest) < len(best), hypotheses
    assert engine(0.5).translate([sentence], "en", "es") == [best]

    tight = TranslationRequest(max_chars=[len(shortest)])
    assert engine(100.0).shorten([sentence], [best], "en", "es", tight) == [shortest]
    assert engine(0.0).shorten([sentence], [best], "en", "es", tight) == [best]  # no margin

    # Through the translate stage: the line has 0.5 s, far too little for its translation
    # (another speaker answers right after it).
    diarized = DiarizationArtifact(
        transcript=Transcript(
            language="en",
            segments=[
                Segment(index=0, start=0.0, end=0.5, text=sentence, speaker="A"),
                Segment(index=1, start=0.6, end=3.0, text="hello my friend", speaker="B"),
            ],
        ),
        speakers=["A", "B"],
        method="test",
    )
    done = translate(diarized, translator=engine(100.0), target="es", glossary=None, max_rate=1.25)
    (attempt,) = done.phrasing
    assert attempt.segments == [0] and attempt.method == "alternatives"
    assert attempt.chars_before == len(best) > attempt.budget_chars
    assert attempt.outcome == "shortened", attempt
    assert done.segments[0].translation.casefold() == shortest.casefold()
    assert attempt.chars_after == len(shortest)
