"""Pulled models at work: a Marian checkpoint converted on pull, languages that grow with it,
and a real dub run on pulled models alone, found without any engine setting."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from polydub.api.app import create_app
from polydub.cli import app as cli_app
from polydub.errors import UnsupportedLanguageError
from polydub.jobs.keys import create_key
from polydub.pipeline.dub import DubOptions, dub
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.language_routes import check_targets, language_catalog

pytestmark = pytest.mark.integration


def cli(settings, url, *args):
    env = {
        "HF_ENDPOINT": url,
        "HF_TOKEN": "",
        "POLYDUB_CACHE_DIR": str(settings.cache_dir),
        "POLYDUB_DATA_DIR": str(settings.data_dir),
        "POLYDUB_MODEL_CATALOGUE": str(settings.model_catalogue),
        "POLYDUB_USE_PULLED_MODELS": "true",
        "COLUMNS": "250",
    }
    return CliRunner().invoke(cli_app, list(args), env=env)


def test_a_pulled_marian_model_is_converted_and_a_running_service_sees_it(
    hub, model_settings, add_marian
):
    """The model is pulled while the service runs (as `polydub serve` would be): its languages
    endpoint grows and new jobs' engines translate with it, with no restart."""
    _, url = hub
    add_marian("de")
    app = create_app(model_settings, start_executor=False)
    context = app.state.context
    with TestClient(app) as client:
        with context.db.session() as session:
            _, secret = create_key(session, "models")

        def languages() -> list[str]:
            response = client.get("/v3/video-translations/languages", headers={"x-api-key": secret})
            assert response.status_code == 200
            return response.json()["data"]["languages"]

        assert "German" not in languages()
        before = context.engines
        assert "German" not in [e.name for e in language_catalog(model_settings, before)]
        with pytest.raises(UnsupportedLanguageError, match="polydub models pull opus-mt-en-de"):
            check_targets(before, ["German"], "en")

        result = cli(model_settings, url, "models", "pull", "opus-mt-en-de-tiny")
        assert result.exit_code == 0, result.output
        converted = model_settings.models_dir / "pulled" / "opus-mt-en-de-tiny" / "ct2"
        assert {"model.bin", "source.spm", "target.spm"} <= {p.name for p in converted.iterdir()}

        assert "German" in languages()
        engines = context.engines  # what the next job gets
        assert engines is not before
        assert engines.synthesizers is before.synthesizers  # unchanged stages are not reloaded
        translator = engines.translator_for("en", "de")
        assert translator.name == "ctranslate2:opus-mt-en-de-tiny"
        [text] = translator.translate(["hello my friend"], "en", "de")
        assert text.strip()
        assert check_targets(engines, ["German"], "en") == ["de"]
        assert context.engines is engines  # refreshed once per change

    listed = cli(model_settings, url, "languages")
    assert "German" in listed.output and "opus-mt-en-de-tiny" in listed.output


def test_a_dub_runs_on_pulled_models_found_without_settings(
    hub, model_settings, add_marian, tmp_path
):
    state, url = hub
    add_marian("es")
    names = ("whisper-base-hub", "opus-mt-en-es-tiny", "kokoro-voices-test")
    result = cli(model_settings, url, "models", "pull", *names)
    assert result.exit_code == 0, result.output

    from polydub.samples import make_talking_clip

    clip = tmp_path / "talk.mp4"
    make_talking_clip(clip, 6.0, width=320, height=240, music=False)
    engines = EngineSet(model_settings)  # no engine setting: found in the model cache
    options = DubOptions(targets=("es",), source_language="en", use_stock_voice=True)
    (out,) = dub(clip, options, engines, work_root=tmp_path / "work",
                 output_stem=tmp_path / "out" / "talk")  # fmt: skip
    report = out.report
    assert report["engines"]["speech_recognition"] == "whisper:whisper-base-hub"
    assert report["engines"]["translation"] == "ctranslate2:opus-mt-en-es-tiny"
    assert set(report["engines"]["voices"].values()) == {"kokoro:em_alex"}
    assert [m["name"] for m in report["models"]] == list(names)
    assert {m["commit"] for m in report["models"]} == {
        state.repos[r].commit
        for r in ("test/faster-whisper-base", "test/opus-mt-en-es-tiny", "test/kokoro-voices")
    }
    assert report["source"]["language"] == "en" and report["segments"]
    assert out.video.stat().st_size > 0
