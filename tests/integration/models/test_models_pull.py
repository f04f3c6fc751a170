"""`polydub models` against a local hub: pull, resume, refuse bad bytes, convert, find.

The CLI tests run the real commands (typer's runner, in process) with HF_ENDPOINT pointing at
the local hub; the others call the same pull function the CLI calls.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from polydub.cli import app
from polydub.engines.models.catalogue import load_catalogue
from polydub.engines.models.found import ModelNotPulledError
from polydub.engines.models.hub import ChecksumError, HubClient, HubError, sha256_of
from polydub.engines.models.pull import InsufficientSpaceError, pull, verify
from polydub.engines.models.store import ModelStore
from polydub.pipeline.engine_set import EngineSet

pytestmark = pytest.mark.integration

VOICE = ("test/kokoro-voices", "voices/em_alex.bin")


def cli(settings, url, *args, token=None):
    env = {
        "HF_ENDPOINT": url,
        "HF_TOKEN": token or "",
        "POLYDUB_CACHE_DIR": str(settings.cache_dir),
        "POLYDUB_DATA_DIR": str(settings.data_dir),
        "POLYDUB_MODEL_CATALOGUE": str(settings.model_catalogue),
        "POLYDUB_USE_PULLED_MODELS": "true",
        "COLUMNS": "200",
    }
    return CliRunner().invoke(app, ["models", *args], env=env)


def entry(settings, name):
    return load_catalogue(settings.model_catalogue)[name]


def test_cli_pull_list_verify_remove(hub, model_settings):
    state, url = hub
    result = cli(model_settings, url, "pull", "kokoro-voices-test")
    assert result.exit_code == 0, result.output
    assert "pulled kokoro-voices-test (test/kokoro-voices@" in result.output
    store = ModelStore(model_settings.models_dir)
    [model] = store.pulled().values()
    pulled = store.download_dir(model.name) / "voices/em_alex.bin"
    assert model.files == {"voices/em_alex.bin": sha256_of(pulled)}
    assert model.commit == state.repos["test/kokoro-voices"].commit
    assert json.loads(store.registry_path.read_text())["models"]["kokoro-voices-test"]

    listed = cli(model_settings, url, "list")
    row = next(line for line in listed.output.splitlines() if "kokoro-voices-test" in line)
    assert "yes" in row and "whisper-small" in listed.output  # built-ins listed too
    assert cli(model_settings, url, "verify").exit_code == 0

    pulled.write_bytes(pulled.read_bytes()[:-4] + b"\0\0\0\0")  # damaged on disk
    damaged = cli(model_settings, url, "verify")
    assert damaged.exit_code == 1 and "sha256 differs" in damaged.output

    assert cli(model_settings, url, "remove", "kokoro-voices-test").exit_code == 0
    assert store.pulled() == {} and not store.folder("kokoro-voices-test").exists()
    again = cli(model_settings, url, "remove", "kokoro-voices-test")
    assert again.exit_code == 2 and "is not pulled" in again.output


def test_unknown_names_and_packs_are_refused(hub, model_settings):
    _, url = hub
    result = cli(model_settings, url, "pull", "whisper-huge")
    assert result.exit_code == 2 and "unknown model whisper-huge" in result.output
    result = cli(model_settings, url, "pull", "--pack", "everything")
    assert result.exit_code == 2 and "unknown pack" in result.output


def test_a_dropped_connection_resumes_with_a_range_request(hub, model_settings):
    state, url = hub
    state.drop_after[VOICE] = 200_000
    store = ModelStore(model_settings.models_dir)
    voices = entry(model_settings, "kokoro-voices-test")
    with HubClient(url, token="", attempts=1) as client, pytest.raises(HubError, match="resume"):
        pull(voices, store, client)
    part = store.download_dir(voices.name) / "voices/em_alex.bin.part"
    assert part.stat().st_size == 200_000 and store.pulled() == {}

    with HubClient(url, token="", attempts=1) as client:
        model = pull(voices, store, client)
    ranges = [r for method, path, r in state.log if path.endswith("em_alex.bin")]
    assert ranges == [None, "bytes=200000-"]
    assert not part.exists()
    assert model.files["voices/em_alex.bin"] == voices.files[0].sha256  # the whole file


def test_retries_within_one_pull_resume_too(hub, model_settings):
    state, url = hub
    state.drop_after[VOICE] = 100_000
    with HubClient(url, token="", attempts=3) as client:
        pull(entry(model_settings, "kokoro-voices-test"), ModelStore(model_settings.models_dir),
             client)  # fmt: skip
    assert [r for _, p, r in state.log if p.endswith("em_alex.bin")] == [None, "bytes=100000-"]


def test_a_corrupted_file_is_refused_and_removed(hub, model_settings):
    state, url = hub
    state.corrupt.add(("test/faster-whisper-base", "config.json"))  # a small, non-LFS file
    store = ModelStore(model_settings.models_dir)
    whisper = entry(model_settings, "whisper-base-hub")
    with HubClient(url, token="") as client, pytest.raises(ChecksumError, match="config.json"):
        pull(whisper, store, client)
    files = store.download_dir(whisper.name)
    assert not (files / "config.json").exists() and not (files / "config.json.part").exists()
    assert store.pulled() == {}
    with pytest.raises(ModelNotPulledError, match="polydub models pull whisper-base-hub"):
        _ = EngineSet(model_settings.model_copy(update={"asr_model": "whisper-base-hub"})).asr_model


def test_a_catalogue_sha256_is_enforced(hub, model_settings, tmp_path):
    _, url = hub
    entries = json.loads(model_settings.model_catalogue.read_text())
    entries[1]["files"][0]["sha256"] = "0" * 64  # the hub's bytes are fine, the pin is not
    path = tmp_path / "pinned.json"
    path.write_text(json.dumps(entries))
    voices = load_catalogue(path)["kokoro-voices-test"]
    store = ModelStore(model_settings.models_dir)
    with HubClient(url, token="") as client, pytest.raises(ChecksumError):
        pull(voices, store, client)
    assert not list(store.download_dir(voices.name).rglob("*.bin*"))


def test_hf_token_is_sent(hub, model_settings):
    state, url = hub
    state.token = "hf_test_secret"
    refused = cli(model_settings, url, "pull", "kokoro-voices-test")
    assert refused.exit_code == 2 and "set HF_TOKEN" in refused.output
    ok = cli(model_settings, url, "pull", "kokoro-voices-test", token="hf_test_secret")
    assert ok.exit_code == 0, ok.output


def test_free_space_is_checked_before_downloading(hub, model_settings):
    state, url = hub
    free = shutil.disk_usage(model_settings.cache_dir.parent).free
    with HubClient(url, token="") as client, pytest.raises(InsufficientSpaceError, match="free"):
        pull(entry(model_settings, "whisper-base-hub"), ModelStore(model_settings.models_dir),
             client, space_margin=free)  # fmt: skip
    assert not [path for _, path, _ in state.log if "/resolve/" in path]


def test_nothing_pulled_means_the_bundled_models(model_settings):
    engines = EngineSet(model_settings)
    assert engines.asr_model == (None, None) and engines.pulled == {}
    assert engines.asr_model_key == "bundled-base"


def test_a_pulled_whisper_is_chosen_and_an_explicit_directory_wins(hub, model_settings, tmp_path):
    _, url = hub
    store = ModelStore(model_settings.models_dir)
    with HubClient(url, token="") as client:
        model = pull(entry(model_settings, "whisper-base-hub"), store, client)
    assert verify(store) == []
    engines = EngineSet(model_settings)
    assert engines.asr_model == (store.load_path(model), "whisper-base-hub")
    assert engines.transcriber.name == "whisper:whisper-base-hub"
    explicit = EngineSet(model_settings.model_copy(update={"whisper_model_dir": tmp_path}))
    assert explicit.asr_model == (tmp_path, None)
    off = EngineSet(model_settings.model_copy(update={"use_pulled_models": False}))
    assert off.asr_model == (None, None)
    # Pulling again finds it complete and fetches nothing.
    with HubClient(url, token="") as client:
        pull(entry(model_settings, "whisper-base-hub"), store, client)


def test_conversion_without_transformers_says_what_to_install(tmp_path):
    # A Python where transformers cannot be imported, as on an install without it.
    code = (
        "import sys; sys.modules['transformers'] = None\n"
        "from pathlib import Path\n"
        "from polydub.engines.models.convert import ConversionError, convert_to_ctranslate2\n"
        "try:\n"
        f"    convert_to_ctranslate2(Path({str(tmp_path)!r}), Path({str(tmp_path / 'o')!r}), "
        "'opus-mt')\n"
        "except ConversionError as e:\n"
        "    print(e.message)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install transformers torch" in out.stdout
    assert not (tmp_path / "o").exists()


def test_an_unpinned_entry_is_pinned_by_its_first_pull(hub, model_settings, tmp_path):
    state, url = hub
    entries = json.loads(model_settings.model_catalogue.read_text())
    entries[1]["revision"] = None  # as built-in entries whose commit could not be read
    path = tmp_path / "unpinned.json"
    path.write_text(json.dumps(entries))
    store = ModelStore(model_settings.models_dir)
    with HubClient(url, token="") as client:
        model = pull(load_catalogue(path)["kokoro-voices-test"], store, client)
    assert model.commit == state.repos["test/kokoro-voices"].commit
    assert ("GET", "/api/models/test/kokoro-voices/revision/main", None) in state.log
    # The file itself was fetched at that commit, never at a moving "main".
    assert any(p.endswith(f"/resolve/{model.commit}/voices/em_alex.bin") for _, p, _ in state.log)
