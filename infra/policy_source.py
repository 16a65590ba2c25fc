"""Read the policy YAML for the SSM parameter and validate it at synth time.

When ``govbot.policy.loader`` is available, the file goes through the same loader the
Lambda functions use, so a policy the bot would reject never reaches a deployment. Until
then the file must at least be a YAML mapping.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import yaml

LOADER_MODULE = "govbot.policy.loader"


class PolicySourceError(ValueError):
    """The policy file is missing, unreadable or rejected by the policy loader."""


def _validate_with_loader(path: Path) -> bool:
    """Run the project's policy loader; False when the loader does not exist (yet)."""
    try:
        spec = importlib.util.find_spec(LOADER_MODULE)
    except ModuleNotFoundError:
        spec = None
    if spec is None:
        return False
    # Import errors inside an existing loader are real bugs: let them propagate.
    loader = importlib.import_module(LOADER_MODULE)
    errors_module = importlib.import_module("govbot.policy.errors")
    policy_error: type[Exception] = errors_module.PolicyError
    try:
        loader.load_policy(path)
    except policy_error as exc:
        raise PolicySourceError(f"policy file {path} is invalid: {exc}") from exc
    return True


def read_policy(path: Path) -> str:
    """Return the policy file's text after validating it; raise PolicySourceError if bad.

    Examples
    --------
    >>> read_policy(Path("does/not/exist.yaml"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    infra.policy_source.PolicySourceError: policy file does/not/exist.yaml not found ...
    """
    if not path.is_file():
        raise PolicySourceError(
            f"policy file {path} not found (set the CDK context key 'policy_file' "
            "to a policy YAML, e.g. -c policy_file=policies/example.yaml)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicySourceError(f"policy file {path} cannot be read as UTF-8: {exc}") from exc
    if not text.strip():
        raise PolicySourceError(f"policy file {path} is empty")
    if not _validate_with_loader(path):
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise PolicySourceError(f"policy file {path} is not valid YAML: {exc}") from exc
        if not isinstance(document, dict):
            raise PolicySourceError(
                f"policy file {path}: expected a YAML mapping at the top level, "
                f"got {type(document).__name__}"
            )
    return text
