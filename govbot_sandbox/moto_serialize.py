"""moto's response serializer, with each member's alias keys worked out once per shape.

moto (5.2) serializes every response from the botocore model: for each member of each
structure it builds an ``AttributePickerContext`` and asks six alias providers in turn
which attribute names might hold the value (``XFormedAttributePicker``), then tries
each. Those names depend only on the object's class, its ``Meta.serialization_aliases``,
the member's shape (with the structure it was reached from) and the member key, yet
they were recomputed for every member of every item: a stream ``GetRecords`` of a busy
ledger spent ~50 ms in them. Here the shape- and class-dependent names are computed
once by moto's own providers and remembered; the explicit ``Meta`` alias is still
read from the object at every call, and response transformers still run on the full
key path, so the picked value is the same. Importing this module is enough.
"""

from __future__ import annotations

from typing import Any

from botocore import xform_name
from moto.core.model import Shape
from moto.core.serialize import (
    DEFAULT_ALIAS_PROVIDERS,
    AttributePickerContext,
    ExplicitAlias,
    ResponseSerializer,
    XFormedAttributePicker,
)
from moto.core.utils import MISSING
from moto.core.utils import get_value as value_at

moto_get_value = ResponseSerializer.get_value  # kept for comparison tests

# (object class, member shape, structure it was reached from, key) -> names to try.
# Holding the shapes keeps them alive, so they are never confused with newer objects.
_KEYS: dict[tuple[type, Shape, Any, str], tuple[str, ...]] = {}
_LATER_PROVIDERS: tuple[Any, ...] = tuple(
    p for p in DEFAULT_ALIAS_PROVIDERS if p is not ExplicitAlias
)


def _derived_keys(value: Any, key: str, shape: Shape) -> tuple[str, ...]:
    """The names moto's providers after ``ExplicitAlias`` offer, each with its xform."""
    cache_key = (value.__class__, shape, getattr(shape, "parent", None), key)
    keys = _KEYS.get(cache_key)
    if keys is None:
        context = AttributePickerContext(obj=value, key=key, shape=shape)
        names: list[str] = []
        for provider_cls in _LATER_PROVIDERS:
            provider = provider_cls(context)
            if provider.has_alias(key):
                alias = provider.get_alias(key)
                names += (alias, xform_name(alias))
        keys = _KEYS[cache_key] = tuple(names)
    return keys


def _explicit_keys(value: Any, key: str) -> tuple[str, ...]:
    """``ExplicitAlias``: the object's own ``Meta.serialization_aliases`` entry, if any."""
    meta: Any = getattr(value, "Meta", MISSING)
    if meta is MISSING:
        return ()
    aliases: Any = getattr(meta, "serialization_aliases", MISSING)
    if aliases is MISSING or key not in aliases:
        return ()
    alias = aliases[key]
    return (alias, xform_name(alias))


def _pick(value: Any, key: str, shape: Shape) -> Any:
    """The first of the names that ``value`` holds (MISSING: none of them)."""
    derived = _derived_keys(value, key, shape)
    if type(value) is dict:  # no Meta on a dict; a plain name is a key (dotted: a path)
        for name in derived:
            found = value.get(name, MISSING) if "." not in name else value_at(value, name, MISSING)
            if found is not MISSING:
                return found
        return MISSING
    for name in (*_explicit_keys(value, key), *derived):
        found = value_at(value, name, MISSING)
        if found is not MISSING:
            return found
    return MISSING


def get_value(self: ResponseSerializer, value: Any, key: str, shape: Shape) -> Any:
    """moto's ``ResponseSerializer.get_value`` for its default picker, names remembered."""
    picker = self._value_picker
    if type(picker) is not XFormedAttributePicker or (
        picker.alias_providers is not DEFAULT_ALIAS_PROVIDERS
    ):
        return moto_get_value(self, value, key, shape)
    picked = _pick(value, key, shape)
    if picked is MISSING:
        picked = None
    transformers = picker.response_transformers
    if transformers:
        key_path = f"{'.'.join(self.path)}.{key}"
        for transform_path, transform in transformers.items():
            if key_path.endswith(transform_path):
                return transform(picked)
    return picked


get_value.govbot_remembered = True  # type: ignore[attr-defined]

if not getattr(ResponseSerializer.get_value, "govbot_remembered", False):
    ResponseSerializer.get_value = get_value  # type: ignore[method-assign]
