"""Domain events: the typed facts that travel on the bus and land in the event log.

Every package defines its own events as frozen dataclasses deriving from :class:`DomainEvent`;
subclasses register themselves by class name so the event log and the Redis bus can turn a record
back into the same type.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, TypeVar

E = TypeVar("E", bound="DomainEvent")


class UnknownEventType(LookupError):
    """A serialised event names a type no loaded module defines."""


class RecordGroup(Protocol):
    """A dataclass an event carries in one field for several related ones, rebuilt from its record."""

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> RecordGroup: ...


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
        """Rebuild an event from :meth:`to_record` output.

        A field holding a :class:`RecordGroup` (several fields grouped in one value) is rebuilt by the
        group's ``from_record``; a record written before the fields were grouped carries them at its top
        level, where the group then reads them.
        """
        data = dict(record)
        name = data.pop("type")
        cls = DomainEvent.registry.get(name)
        if cls is None:
            raise UnknownEventType(name)
        groups = _record_groups(cls)
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            group = groups.get(f.name)
            if group is not None:
                kwargs[f.name] = group.from_record(data.get(f.name, data))
            elif f.name in data:
                value = data[f.name]
                if isinstance(value, list):
                    value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
                kwargs[f.name] = value
        return cls(**kwargs)

    @staticmethod
    def from_json(text: str) -> DomainEvent:
        return DomainEvent.from_record(json.loads(text))


_GROUPS: dict[type[DomainEvent], dict[str, type[RecordGroup]]] = {}


def _record_groups(cls: type[DomainEvent]) -> dict[str, type[RecordGroup]]:
    """The fields of ``cls`` that hold a :class:`RecordGroup`, by name (looked up once per type)."""
    groups = _GROUPS.get(cls)
    if groups is None:
        hints = typing.get_type_hints(cls)
        groups = _GROUPS[cls] = {}
        for f in dataclasses.fields(cls):
            hint = hints[f.name]
            if isinstance(hint, type) and dataclasses.is_dataclass(hint) and hasattr(hint, "from_record"):
                groups[f.name] = typing.cast(type[RecordGroup], hint)
    return groups


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
