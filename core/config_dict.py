"""Config dataclasses as the plain dicts that checkpoints and ``.npz`` exports store."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, Self


class DictConfig:
    """``to_dict`` and ``from_dict`` for a frozen config dataclass: tuples are stored as lists
    (JSON has no tuples) and read back as tuples."""

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)  # type: ignore[call-overload]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Self:
        """Rebuild from ``to_dict``; raises ValueError on unknown fields."""
        unknown = set(values) - {f.name for f in fields(cls)}  # type: ignore[arg-type]
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields {sorted(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
