"""The built-in model catalogue is well formed: pins are full commits, hashes are sha256,
packs name real entries, translation entries say what their engine needs."""

from __future__ import annotations

import json
import re

import pytest

from polydub.engines.models.catalogue import (
    BUILTIN,
    PACKS,
    entry_to_dict,
    load_catalogue,
    translation_models_for,
    voice_models_for,
)


def test_entries_are_well_formed():
    names = [e.name for e in BUILTIN]
    assert len(names) == len(set(names))
    for entry in BUILTIN:
        # Every built-in entry is pinned (a user catalogue may leave it to the first pull).
        assert re.fullmatch(r"[0-9a-f]{40}", entry.revision or ""), entry.name
        assert entry.files and entry.licence and entry.languages and entry.needs
        for f in entry.files:
            assert f.size > 0 and (f.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", f.sha256))
        if any(f.sha256 is None for f in entry.files):
            assert entry.source_note  # says how it is pinned instead
        if entry.stage == "mt":
            assert entry.conversion == "ct2-transformers"
            assert entry.engine["family"] in ("opus-mt", "nllb")


def test_packs_name_catalogue_entries():
    catalogue = load_catalogue()
    for names in PACKS.values():
        assert all(n in catalogue for n in names)


def test_translation_suggestions_prefer_the_smallest_model():
    catalogue = load_catalogue()
    assert translation_models_for(catalogue, "en", "es")[0] == "opus-mt-en-es"
    assert translation_models_for(catalogue, "en", "ja")[0] == "nllb-200-distilled-600m"
    assert translation_models_for(catalogue, "en", "xx") == []


def test_a_user_catalogue_adds_and_replaces_entries(tmp_path):
    mine = {**entry_to_dict(BUILTIN[0]), "repo": "mirror/whisper-small"}
    extra = {**entry_to_dict(BUILTIN[0]), "name": "whisper-small-mirror"}
    path = tmp_path / "mine.json"
    path.write_text(json.dumps([mine, extra]))
    catalogue = load_catalogue(path)
    assert catalogue["whisper-small"].repo == "mirror/whisper-small"
    assert catalogue["whisper-small-mirror"].files == BUILTIN[0].files
    path.write_text('[{"name": "broken"}]')
    with pytest.raises(ValueError, match="mine.json"):
        load_catalogue(path)


def test_voice_suggestions_name_a_pack_that_speaks_the_language():
    catalogue = load_catalogue()
    assert voice_models_for(catalogue, "de") == ["piper-de"]
    assert voice_models_for(catalogue, "es") == ["kokoro-voices", "piper-es"]  # 9 MB, 63 MB
    assert voice_models_for(catalogue, "xx") == []


def test_the_readme_table_is_the_catalogue():
    from pathlib import Path

    from polydub.engines.models.readme_table import with_table

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert readme == with_table(readme), (
        "README's model table differs from the catalogue: "
        "run `python -m polydub.engines.models.readme_table README.md`"
    )
    for entry in BUILTIN:
        assert f"| `{entry.name}` |" in readme
