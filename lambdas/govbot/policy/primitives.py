"""Constrained scalar types shared by the policy models.

Each pattern here has a human description in ``PATTERN_DESCRIPTIONS`` so that the loader
can say "expected a 12-digit AWS account id" rather than echo a regular expression.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from govbot.domain import ACCOUNT_ID_PATTERN, SEVERITY_ORDER, Severity
from govbot.regions import check_region

IDENTIFIER_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
REGION_PATTERN: Final = r"^[a-z]{2}(-[a-z]+)+-\d$"
SLACK_USER_PATTERN: Final = r"^[UW][A-Z0-9]{2,}$"
# Globs on image names: the name alphabet plus the fnmatch wildcards * ? [ ] !
NAME_GLOB_PATTERN: Final = r"^[A-Za-z0-9_.*?\[\]!-]{1,101}$"
NAME_PREFIX_PATTERN: Final = r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$"

PATTERN_DESCRIPTIONS: Final[dict[str, str]] = {
    ACCOUNT_ID_PATTERN.pattern: "a 12-digit AWS account id",
    IDENTIFIER_PATTERN: "an id of letters, digits, '.', '_' or '-' (at most 64, no '#')",
    REGION_PATTERN: "an AWS region name like 'us-east-1'",
    SLACK_USER_PATTERN: "a Slack user id like 'U012ABCDEF'",
    NAME_GLOB_PATTERN: "an image name glob (letters, digits, '.', '_', '-' and * ? [ ])",
    NAME_PREFIX_PATTERN: "an image name prefix (letters, digits, '.', '_', '-')",
}

AccountId = Annotated[str, Field(pattern=ACCOUNT_ID_PATTERN.pattern)]
Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]
# The pattern first (a clear message for garbage), then the partition's region list.
Region = Annotated[str, Field(pattern=REGION_PATTERN), AfterValidator(check_region)]
SlackUserId = Annotated[str, Field(pattern=SLACK_USER_PATTERN)]
NameGlob = Annotated[str, Field(pattern=NAME_GLOB_PATTERN)]
NamePrefix = Annotated[str, Field(pattern=NAME_PREFIX_PATTERN)]
NonEmptyText = Annotated[str, Field(min_length=1)]


ExemptPermission = Literal["fleet", "image_builder", "any"]


def severity_at_least(severity: Severity, minimum: Severity) -> bool:
    """True when ``severity`` is ``minimum`` or more severe."""
    return SEVERITY_ORDER.index(severity) >= SEVERITY_ORDER.index(minimum)


class StrictModel(BaseModel):
    """Base of every policy model: immutable, and unknown keys are errors.

    A typo such as ``acounts`` must fail loudly instead of silently disabling a rule.
    """

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")
