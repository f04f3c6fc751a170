"""A small name -> factory registry, one per engine kind.

Engines register lazily (a factory, not an instance) so that importing the registry never
loads a model or imports a heavy library; the pipeline builds only the engines a job needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def decorator(factory: Callable[..., T]) -> Callable[..., T]:
            self._factories[name] = factory
            return factory

        return decorator

    def names(self) -> list[str]:
        return list(self._factories)

    def create(self, name: str, **kwargs) -> T:
        try:
            factory = self._factories[name]
        except KeyError:
            raise ValueError(
                f"unknown {self.kind} engine {name!r}; choose one of {', '.join(self._factories)}"
            ) from None
        return factory(**kwargs)
