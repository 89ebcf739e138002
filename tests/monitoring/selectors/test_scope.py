"""Scope is not optional: every selector that reads plant data requires it, keyword-only.

The checker enumerates the public functions of every module in ``monitoring.selectors`` and
fails on one that can be called without ``scope``; it is shown to catch a synthetic violation.
"""

import importlib
import inspect
import pkgutil
import types

import pytest

import monitoring.selectors
from monitoring.scope import Scope

# Reads that are not plant data: liveness, and the counter in every cache key.
NOT_PLANT_DATA = {
    "system.health_get",
    "system.data_version_get",
    "system.metadata_counts_are_cheap",
}


def selector_modules() -> list[types.ModuleType]:
    package = monitoring.selectors
    names = [m.name for m in pkgutil.iter_modules(package.__path__) if not m.ispkg]
    return [importlib.import_module(f"{package.__name__}.{name}") for name in names]


def public_selectors(module: types.ModuleType) -> dict:
    short = module.__name__.rpartition(".")[2]
    if short.startswith("_"):
        return {}
    return {
        f"{short}.{name}": fn
        for name, fn in vars(module).items()
        if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_")
    }


def scope_violations(functions: dict) -> list[str]:
    """Names of functions whose ``scope`` is missing, positional, or has a default."""
    wrong = []
    for name, fn in functions.items():
        if name in NOT_PLANT_DATA:
            continue
        param = inspect.signature(fn).parameters.get("scope")
        if (
            param is None
            or param.kind is not param.KEYWORD_ONLY
            or param.default is not param.empty
        ):
            wrong.append(name)
    return wrong


def all_selectors() -> dict:
    found = {}
    for module in selector_modules():
        found.update(public_selectors(module))
    return found


def test_every_plant_data_selector_requires_the_scope():
    selectors = all_selectors()
    assert len(selectors) >= 10, sorted(selectors)  # the enumeration found the selectors
    assert scope_violations(selectors) == []


def test_the_checker_catches_a_selector_without_scope():
    def machines_everywhere(*, machine_id):
        return machine_id

    def scope_with_default(*, scope: Scope | None = None):
        return scope

    def positional_scope(scope):
        return scope

    synthetic = {
        "x.machines_everywhere": machines_everywhere,
        "x.scope_with_default": scope_with_default,
        "x.positional_scope": positional_scope,
    }
    assert scope_violations(synthetic) == sorted(synthetic, key=list(synthetic).index)


@pytest.mark.parametrize("name", sorted(set(all_selectors()) - NOT_PLANT_DATA))
def test_calling_without_scope_is_a_type_error(name):
    """Python itself refuses the call before any query runs (no database needed)."""
    with pytest.raises(TypeError, match="scope"):
        all_selectors()[name]()
