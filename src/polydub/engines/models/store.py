"""Pulled models on disk: `<models_dir>/pulled/<name>/` and the registry `pulled.json`.

The registry records, per model, what its engine needs (stage, the directory to load, the
engine options) and what it was checked against (repo, commit, each file's sha256), so
engine selection needs neither the catalogue nor the network, and `verify` can re-check.
It is rewritten atomically; a model appears in it only once wholly downloaded and converted.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

REGISTRY_NAME = "pulled.json"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class PulledModel:
    name: str
    stage: str
    repo: str
    commit: str
    licence: str
    languages: list[str]
    files: dict[str, str]  # path in the download folder -> sha256
    load_dir: str  # relative to the model's folder: what the engine loads
    engine: dict = field(default_factory=dict)
    quality: int = 0
    converted: bool = False


def registry_stamp(models_dir: Path) -> tuple[int, int] | None:
    """(mtime in ns, size) of the registry, None when nothing was ever pulled: what a long-lived
    process compares to notice a pull or a removal made by another process."""
    try:
        stat = (Path(models_dir) / "pulled" / REGISTRY_NAME).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class ModelStore:
    def __init__(self, models_dir: Path) -> None:
        self.root = Path(models_dir) / "pulled"

    @property
    def registry_path(self) -> Path:
        return self.root / REGISTRY_NAME

    def folder(self, name: str) -> Path:
        return self.root / name

    def download_dir(self, name: str) -> Path:
        return self.folder(name) / "files"

    def load_path(self, model: PulledModel) -> Path:
        return self.folder(model.name) / model.load_dir

    def pulled(self) -> dict[str, PulledModel]:
        """Every registered model; an unreadable registry counts as empty (nothing pulled)."""
        try:
            data = json.loads(self.registry_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        models = {}
        for name, item in data.get("models", {}).items():
            try:
                models[name] = PulledModel(**item)
            except TypeError:
                continue  # written by another version; `pull` again refreshes it
        return models

    def record(self, model: PulledModel) -> None:
        with _LOCK:
            models = self.pulled()
            models[model.name] = model
            self._write(models)

    def forget(self, name: str) -> None:
        with _LOCK:
            models = self.pulled()
            models.pop(name, None)
            self._write(models)

    def _write(self, models: dict[str, PulledModel]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        payload = {"version": 1, "models": {n: asdict(m) for n, m in sorted(models.items())}}
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=REGISTRY_NAME + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(payload, f, indent=2)
            os.replace(tmp, self.registry_path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
