"""The import directions between the project's rooms (README, "Layout"), read from the source.

Each rule names the modules it covers and the imports they may not make; a violation fails
with the file, line and import, so a shortcut across rooms is caught in review, not later.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)


def _modules(*patterns: str) -> list[Path]:
    files = sorted({p for pattern in patterns for p in ROOT.glob(pattern)})
    return [p for p in files if "migrations" not in p.parts]


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every absolute import in a file, nested ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "__future__":
                continue
            # As module.name: "from package import module" names the module it loads.
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _under(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _violations(files: list[Path], *, only: tuple = (), banned: tuple = ()) -> list[str]:
    """Imports of ``banned`` packages, or with ``only``, of anything beyond it and the stdlib."""
    assert files, "the rule covers no file: has the layout changed?"

    def wrong(module: str) -> bool:
        if _under(module, *banned):
            return True
        return bool(only) and module.split(".")[0] not in STDLIB and not _under(module, *only)

    return [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in files
        for line, module in _imports(path)
        if wrong(module)
    ]


def test_signal_processing_is_numpy_only():
    """Indicators, spectra and ISO zones run (and are tested) without Django or HTTP."""
    assert _violations(_modules("ingestion/signal.py"), only=("numpy",)) == []


def test_vendor_client_returns_plain_data():
    """The vendor client speaks HTTP and knows no models, settings or services."""
    assert _violations(_modules("ingestion/client.py"), only=("httpx",)) == []


def test_simulator_uses_signal_physics_but_no_storage():
    banned = (
        "django",
        "monitoring",
        "ingestion.catalogue",
        "ingestion.pipeline",
        "ingestion.store",
        "ingestion.run",
        "ingestion.client",
        "ingestion.management",
    )
    assert _violations(_modules("ingestion/simulator/**/*.py"), banned=banned) == []


def test_the_api_never_loads_the_vendor_side():
    """monitoring/ (the API process) imports no vendor client, simulator or ingestion run."""
    banned = (
        "ingestion.client",
        "ingestion.simulator",
        "ingestion.management",
        "ingestion.catalogue",
        "ingestion.pipeline",
        "ingestion.store",
        "ingestion.run",
    )
    assert _violations(_modules("monitoring/**/*.py"), banned=banned) == []


def test_ingestion_does_not_reach_into_the_api():
    banned = ("monitoring.views", "monitoring.serializers", "monitoring.filters", "monitoring.urls")
    assert _violations(_modules("ingestion/**/*.py"), banned=banned) == []


# The apps use the project package only for its database wiring: the embedded server's
# launcher (the dbserver command drives it) and the recognition of an unreachable database
# (the API answers 503). Both belong with the database engine in factory_site/; nothing else
# of the project (settings, urls, wsgi) is imported by an app.
DATABASE_WIRING = ("factory_site.embedded", "factory_site.errors")


@pytest.mark.parametrize("app", ["monitoring", "ingestion"])
def test_apps_import_the_project_only_for_its_database_wiring(app):
    imported = [
        module
        for path in _modules(f"{app}/**/*.py")
        for _, module in _imports(path)
        if _under(module, "factory_site")
    ]
    assert [m for m in imported if not _under(m, *DATABASE_WIRING)] == []
