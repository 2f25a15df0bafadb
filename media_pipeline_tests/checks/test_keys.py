"""`status` names the checks without importing the assets: the names match the definitions."""

from __future__ import annotations

from media_pipeline.checks.keys import CHECKS
from media_pipeline.definitions import defs


def test_the_listed_checks_are_the_defined_ones() -> None:
    defined = {
        (key.asset_key.to_user_string(), key.name)
        for key in defs.resolve_asset_graph().asset_check_keys
    }
    assert defined == set(CHECKS)
