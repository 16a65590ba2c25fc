"""The rule registry: every rule type the policy accepts, registered once by its class.

A rule type is one ``RuleConfig`` subclass (config fields, ``check``, default severity)
decorated with ``@register_rule``. The policy model's ``rules`` field is validated
against whatever is registered when its schema is built: registering a type after that
rebuilds the dependent models (see ``on_change``), so a rule defined in a plugin or a test
module loads from YAML and evaluates like a built-in one. An unknown ``type`` is a
validation error naming the registered types.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import Field

if TYPE_CHECKING:
    from govbot.policy.rules.base import RuleConfig

R = TypeVar("R", bound="type[RuleConfig]")


class RuleRegistryError(TypeError):
    """A rule class that cannot be registered (names the class and what is wrong)."""


_RULES: dict[str, type[RuleConfig]] = {}
_LISTENERS: list[Callable[[], None]] = []


def type_name_of(cls: type[RuleConfig]) -> str:
    """The ``type`` tag of a rule class: its ``type: Literal["..."]`` field."""
    field = cls.model_fields.get("type")
    args = typing.get_args(field.annotation) if field is not None else ()
    if len(args) != 1 or not isinstance(args[0], str):
        raise RuleRegistryError(
            f'rule class {cls.__name__} must declare `type: Literal["<rule type>"]`'
        )
    return args[0]


def register_rule(cls: R) -> R:
    """Class decorator: make ``cls`` a rule type the policy accepts.

    Raises ``RuleRegistryError`` when the class has no single ``type`` literal or when
    another class already uses its type name.
    """
    name = type_name_of(cls)
    known = _RULES.get(name)
    if known is not None and known is not cls:
        raise RuleRegistryError(
            f"rule type {name!r} is already registered by {known.__module__}.{known.__name__}"
        )
    _RULES[name] = cls
    _changed()
    return cls


def unregister_rule(name: str) -> None:
    """Forget rule type ``name`` (tests and plugins that register temporarily)."""
    if _RULES.pop(name, None) is not None:
        _changed()


def rule_types() -> tuple[str, ...]:
    """Registered type names, in registration order."""
    return tuple(_RULES)


def rule_class(name: str) -> type[RuleConfig] | None:
    """The class registered for type ``name``, or None."""
    return _RULES.get(name)


def rule_union() -> Any:
    """The discriminated union of every registered rule class (for a pydantic schema)."""
    classes = tuple(_RULES.values())
    if not classes:
        raise RuleRegistryError("no rule type is registered")
    member: Any = classes[0] if len(classes) == 1 else typing.Union[classes]  # noqa: UP007
    if len(classes) == 1:
        return member
    return Annotated[member, Field(discriminator="type")]


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever the set of rule types changes (schema rebuilds)."""
    _LISTENERS.append(listener)


def _changed() -> None:
    for listener in _LISTENERS:
        listener()
