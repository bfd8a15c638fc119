"""Domain events: the typed facts that travel on the bus and land in the event log.

Every package defines its own events as frozen dataclasses deriving from :class:`DomainEvent`;
subclasses register themselves by class name so the event log and the Redis bus can turn a record
back into the same type.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar, TypeVar

E = TypeVar("E", bound="DomainEvent")


class UnknownEventType(LookupError):
    """A serialised event names a type no loaded module defines."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Base of every domain event; ``at`` is epoch seconds, always given (from the injected clock in cores)."""

    at: float

    registry: ClassVar[dict[str, type[DomainEvent]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Explicit form: slots=True rebuilds the class, which breaks the zero-argument super().
        super(DomainEvent, cls).__init_subclass__(**kwargs)
        DomainEvent.registry[cls.__name__] = cls

    @property
    def type_name(self) -> str:
        return type(self).__name__

    def to_record(self) -> dict[str, Any]:
        """A JSON-able dict with the type name under ``type``."""
        record: dict[str, Any] = {"type": self.type_name}
        for f in dataclasses.fields(self):
            record[f.name] = _jsonable(getattr(self, f.name))
        return record

    def to_json(self) -> str:
        return json.dumps(self.to_record(), ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def from_record(record: dict[str, Any]) -> DomainEvent:
        """Rebuild an event from :meth:`to_record` output."""
        data = dict(record)
        name = data.pop("type")
        cls = DomainEvent.registry.get(name)
        if cls is None:
            raise UnknownEventType(name)
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in data:
                value = data[f.name]
                if isinstance(value, list):
                    value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
                kwargs[f.name] = value
        return cls(**kwargs)

    @staticmethod
    def from_json(text: str) -> DomainEvent:
        return DomainEvent.from_record(json.loads(text))


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return value.value  # enums
    return value
