"""The one exception a bad policy raises."""

from __future__ import annotations


class PolicyError(ValueError):
    """A policy file (or text) that cannot be used.

    ``str(error)`` is one line per problem, each naming the source, the field path and
    what was expected, e.g.
    ``policies/prod.yaml: rules[2].accounts[0]: expected a 12-digit AWS account id, got '12345'``.
    """

    def __init__(self, source: str, problems: list[str] | tuple[str, ...]) -> None:
        self.source = source
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))
