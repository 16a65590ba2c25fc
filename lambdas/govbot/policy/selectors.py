"""Image selectors: which images a rule, an exemption or a golden rule is about."""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

from govbot.policy.primitives import NameGlob, StrictModel


class ImageSelector(StrictModel):
    """Select images by name globs and tags.

    All given conditions must hold; an empty selector matches every image. Matching is
    case-sensitive (AppStream image names are).

    - ``names``: the image name matches at least one glob (``*``, ``?``, ``[...]``).
    - ``tags``: every key is present and its value matches the glob (``"*"`` = any value).
    - ``exclude_names``: the image name matches none of these globs.

    Examples
    --------
    >>> ImageSelector(names=("prod-*",)).matches("prod-web", {})
    True
    """

    names: tuple[NameGlob, ...] = ()
    tags: dict[str, str] = {}
    exclude_names: tuple[NameGlob, ...] = ()

    def matches(self, name: str, tags: Mapping[str, str]) -> bool:
        """True when an image with this name and these tags is selected."""
        if self.names and not any(fnmatchcase(name, glob) for glob in self.names):
            return False
        if any(fnmatchcase(name, glob) for glob in self.exclude_names):
            return False
        for key, pattern in self.tags.items():
            value = tags.get(key)
            if value is None or not fnmatchcase(value, pattern):
                return False
        return True

    def is_empty(self) -> bool:
        """True when the selector has no condition (it matches every image)."""
        return not (self.names or self.tags or self.exclude_names)
