"""The deployment files run as written: compose services are health-checked and pinned, the
env example means under systemd what it says, the units are hardened, and the image and the
runtime lock carry no test tools."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from polydub.config import Settings, SettingsError, check_secrets

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TEST_TOOLS = {
    "pytest", "hypothesis", "ruff", "moto", "schemathesis", "cfn-lint",
    "pocketsphinx", "responses", "pyannote-audio",
}  # fmt: skip


def systemd_environment_file(text: str) -> dict[str, str]:
    """Parse an EnvironmentFile= the way systemd does (systemd.exec(5)): blank lines and lines
    starting with # or ; are skipped; otherwise NAME=VALUE, where the value runs to the end of
    the line (a # after it is part of the value), whitespace around it is dropped, one pair of
    enclosing quotes is removed, and a trailing backslash joins the next line."""
    values: dict[str, str] = {}
    pending = ""
    for raw in text.splitlines():
        line = pending + raw
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        pending = ""
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        name, sep, value = stripped.partition("=")
        assert sep, f"not NAME=VALUE: {line!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_compose_service_is_health_checked_pinned_and_restarted():
    services = compose()["services"]
    assert set(services) >= {"api", "worker", "postgres", "redis", "minio", "bucket"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest", f"{name}: image {image} is not pinned"
        if name != "bucket":  # a one-shot job
            assert service.get("restart") in ("unless-stopped", "always"), name
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])


def test_compose_takes_secrets_from_the_env_file():
    text = (ROOT / "docker-compose.yml").read_text()
    env = compose()["x-polydub-env"]
    for name in ("POLYDUB_SIGNING_SECRET", "AWS_SECRET_ACCESS_KEY", "POLYDUB_DATABASE_URL"):
        assert re.search(r"\$\{[A-Z_]+:\?", env[name]), f"{name} is not required from .env"
    assert env["POLYDUB_ENVIRONMENT"] == "production"  # so placeholders are refused
    assert "change-me" not in text.lower()
    example = systemd_environment_file((DEPLOY / "compose.env.example").read_text())
    used = set(re.findall(r"\$\{([A-Z_]+)[:}]", text))
    assert used <= set(example), f"not in the example: {used - set(example)}"


def test_the_env_example_loads_under_systemd_rules(monkeypatch):
    values = systemd_environment_file((DEPLOY / "polydub.env.example").read_text())
    for name, value in values.items():
        assert "#" not in value and not re.search(r"\s", value), f"{name}={value!r}"
    fields = {"POLYDUB_" + f.upper() for f in Settings.model_fields}
    assert {n for n in values if n.startswith("POLYDUB_")} <= fields
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.data_dir == Path("/var/lib/polydub")
    assert settings.executor == "celery" and settings.environment == "production"
    with pytest.raises(SettingsError):  # its placeholders cannot go live
        check_secrets(settings)


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


@pytest.mark.parametrize("name", ["polydub-api.service", "polydub-worker@.service"])
def test_systemd_units_are_hardened_with_a_state_directory(name):
    service = unit(name)["Service"]
    assert service["StateDirectory"] == "polydub"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["User"] == "polydub"
    assert service["EnvironmentFile"] == "/etc/polydub/polydub.env"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("name", ["polydub-api.service", "polydub-worker@.service"])
def test_systemd_analyze_rates_the_units_ok(name, tmp_path):
    path = tmp_path / name.replace("@", "@polydub")  # an instance of the template
    path.write_text((DEPLOY / "systemd" / name).read_text())
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
    assert exposure, result.stdout + result.stderr
    assert float(exposure.group(1)) <= 3.0  # "OK"; the units were 9.2 "UNSAFE"


def test_the_image_installs_dependencies_before_the_source_and_runs_unprivileged():
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text().splitlines()]
    base = next(line for line in lines if line.startswith("FROM "))
    assert re.search(r":\d+\.\d+\.\d+-", base), f"floating base image: {base}"
    deps = next(i for i, line in enumerate(lines) if "setup.sh --deps-only" in line)
    source = next(i for i, line in enumerate(lines) if line.startswith("COPY src"))
    assert deps < source
    assert not any("--dev" in line for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")


def locked(path: Path) -> dict[str, str]:
    names = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            names[canonicalize_name(name)] = version
    return names


def test_the_runtime_lock_has_no_test_tools_and_is_complete():
    runtime = locked(ROOT / "requirements.lock") | locked(ROOT / "requirements-nodeps.txt")
    runtime_and_venv = set(runtime) | {"pip", "setuptools"}  # a Python 3.11 venv has these
    dev = locked(ROOT / "requirements-dev.lock") | locked(ROOT / "requirements-dev-nodeps.txt")
    assert not {canonicalize_name(t) for t in TEST_TOOLS} & set(runtime)
    assert not set(runtime) & set(dev)
    assert "pyloudnorm" not in runtime | dev  # locked and never used
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = [Requirement(r) for r in project["dependencies"]]
    assert {canonicalize_name(r.name) for r in direct} <= set(runtime)
    # Everything a runtime package declares (as installed here) is locked for runtime too,
    # so an install of requirements.lock alone is complete. Extras the project asks for count.
    extras = {canonicalize_name(r.name): r.extras for r in direct}
    missing = set()
    for name in locked(ROOT / "requirements.lock"):
        for spec in metadata.requires(name) or []:
            need = Requirement(spec)
            wanted = [""] + sorted(extras.get(name, ()))
            if need.marker and not any(need.marker.evaluate({"extra": e}) for e in wanted):
                continue
            installed = _installed(need.name)
            if canonicalize_name(need.name) not in runtime_and_venv and installed:
                missing.add(f"{name} -> {need.name}")
    assert not missing


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False  # an optional extra's package nobody installs (uvicorn's watchfiles)
    return True


def test_setup_installs_test_tools_only_when_asked():
    script = (ROOT / "scripts" / "setup.sh").read_text()
    runtime_apt = script.split("APT_PACKAGES=(", 1)[1].split(")", 1)[0]
    for tool in ("redis-server", "wrk", "pocketsphinx-testdata"):
        assert tool not in runtime_apt
    assert "--dev" in (ROOT / "scripts" / "test.sh").read_text()
    assert "--dev" not in (ROOT / "scripts" / "demo.sh").read_text()
