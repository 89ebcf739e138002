"""The import directions between the project's rooms (README, "Layout"), read from the source.

Each rule names the modules it covers and the imports they may not make; a violation fails
with the file, line and import, so a shortcut across rooms is caught in review, not later. The
checker is itself tested: it must report synthetic violations, and every rule must cover at
least one existing file (a rule whose glob matches nothing would pass forever).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)


def _module_name(path: Path, root: Path) -> str:
    """Dotted module name of a file below root ("monitoring/vibration/__init__.py" -> ...)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(source: str, *, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in a module's source, nested and relative ones too.

    Relative imports are resolved against ``module`` so ``from ..ingestion import client`` is
    no way around a rule.
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source, module)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                continue
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            # As module.name: "from package import module" names the module it loads.
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def _under(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


@dataclass(frozen=True)
class Rule:
    """Files (globs below the root) and what they may import.

    ``only``: nothing beyond these packages and the standard library; ``banned``: none of
    these packages, except below one of ``allowed``.
    """

    name: str
    patterns: tuple[str, ...]
    only: tuple[str, ...] = ()
    banned: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()

    def files(self, root: Path = ROOT) -> list[Path]:
        found = sorted({p for pattern in self.patterns for p in root.glob(pattern)})
        return [p for p in found if "migrations" not in p.parts]

    def wrong(self, module: str) -> bool:
        if _under(module, *self.allowed):
            return False
        if _under(module, *self.banned):
            return True
        return (
            bool(self.only)
            and module.split(".")[0] not in STDLIB
            and not _under(module, *self.only)
        )

    def violations(self, root: Path = ROOT) -> list[str]:
        out = []
        for path in self.files(root):
            module = _module_name(path, root)
            imports = _imports(
                path.read_text(), module=module, is_package=path.name == "__init__.py"
            )
            out += [f"{path.relative_to(root)}:{line}: {m}" for line, m in imports if self.wrong(m)]
        return out


def _top_level_modules(package: str, root: Path = ROOT) -> set[str]:
    """Dotted names of a package's top-level modules and subpackages, as they exist on disk."""
    folder = root / package
    names = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}
    return {f"{package}.{name}" for name in names}


# What ingestion may use of monitoring: the data layer it writes through (models, services,
# the Mongo plumbing, the indicator catalogue) and the vibration domain. Everything else that
# exists in monitoring/ (the api package, selectors, admin, ...) is the API or the console,
# banned by prefix; a new module is banned until someone decides ingestion needs it.
INGESTION_MAY_USE = (
    "monitoring.models",
    "monitoring.services",
    "monitoring.retention",  # a write service, like services (apply_retention runs it)
    "monitoring.mongo",
    "monitoring.indicators",
    "monitoring.vibration",
)
MONITORING_API = tuple(
    sorted(_top_level_modules("monitoring") - {*INGESTION_MAY_USE, "monitoring.migrations"})
)

# The apps use the project package only for its database wiring: the embedded server's
# launcher (the dbserver command drives it) and the recognition of an unreachable database
# (the API answers 503). Both belong with the database engine in factory_site/; nothing else
# of the project (settings, urls, wsgi) is imported by an app.
DATABASE_WIRING = ("factory_site.embedded", "factory_site.errors")

RULES = [
    # Indicators, spectra, zones and markers run (and are tested) without Django or HTTP.
    Rule("vibration domain is numpy only", ("monitoring/vibration/**/*.py",),
         only=("numpy", "monitoring.vibration")),
    Rule("wire codec is numpy only", ("ingestion/wire.py",), only=("numpy",)),
    # The vendor client speaks HTTP and knows no models, settings, services or numpy.
    Rule("vendor client is httpx only", ("ingestion/client.py",), only=("httpx",)),
    # The simulator shares the physics and the wire format, never storage or ingestion runs.
    Rule("simulator uses the domain and the wire codec only", ("ingestion/simulator/**/*.py",),
         only=("numpy", "monitoring.vibration", "ingestion.wire", "ingestion.simulator")),
    # Ingestion depends on monitoring, never the reverse: the API process loads no vendor code.
    Rule("monitoring never imports ingestion", ("monitoring/**/*.py",), banned=("ingestion",)),
    # ...except the one alarm service it calls after storing a batch and after a run.
    Rule("ingestion does not reach into the API", ("ingestion/**/*.py",), banned=MONITORING_API,
         allowed=("monitoring.alarms.services",)),
    Rule("monitoring uses factory_site for database wiring only", ("monitoring/**/*.py",),
         banned=("factory_site",), allowed=DATABASE_WIRING),
    Rule("ingestion uses factory_site for database wiring only", ("ingestion/**/*.py",),
         banned=("factory_site",), allowed=DATABASE_WIRING),
]  # fmt: skip


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_rule_holds(rule: Rule):
    assert rule.violations() == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_rule_covers_existing_files(rule: Rule):
    for pattern in rule.patterns:
        assert list(ROOT.glob(pattern)), f"{pattern} matches no file: has the layout changed?"
    # Named exceptions and targets must exist too, or the rule guards nothing.
    for package in (*rule.allowed, *rule.only, *rule.banned):
        top = package.split(".")[0]
        if (ROOT / top).is_dir():
            path = ROOT / package.replace(".", "/")
            assert path.is_dir() or path.with_suffix(".py").is_file(), package


def test_the_api_modules_are_derived_from_what_exists():
    # The API modules as they are today (files or packages alike) are all banned to ingestion.
    for name in ("api", "selectors", "admin", "access", "scope"):
        assert f"monitoring.{name}" in MONITORING_API
    assert not set(MONITORING_API) & set(INGESTION_MAY_USE)


def _write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)


def _rule(name: str) -> Rule:
    return next(r for r in RULES if r.name == name)


def test_checker_reports_synthetic_violations(tmp_path: Path):
    _write(tmp_path, "monitoring/__init__.py", "")
    _write(tmp_path, "monitoring/views/__init__.py", "import ingestion.services as s\n")
    _write(tmp_path, "monitoring/views/fft.py", "from ingestion.client import VendorClient\n")
    _write(tmp_path, "monitoring/vibration/__init__.py", "")
    _write(tmp_path, "monitoring/vibration/bad.py",
           "import numpy as np\nfrom . import spectrum\nfrom ..models import Spectrum\n\n\n"
           "def f():\n    from django.conf import settings\n")  # fmt: skip
    _write(tmp_path, "ingestion/simulator/synth.py",
           "import django\nfrom monitoring.models import Machine\n"
           "from monitoring.vibration.kinematics import bearing_fault_frequencies\n")  # fmt: skip
    _write(tmp_path, "ingestion/services.py",
           "from monitoring.api.views import x\n"
           "from monitoring.models import Reading\n")  # fmt: skip

    assert _rule("monitoring never imports ingestion").violations(tmp_path) == [
        "monitoring/views/__init__.py:1: ingestion.services",
        "monitoring/views/fft.py:1: ingestion.client.VendorClient",
    ]
    assert _rule("vibration domain is numpy only").violations(tmp_path) == [
        "monitoring/vibration/bad.py:3: monitoring.models.Spectrum",  # relative, resolved
        "monitoring/vibration/bad.py:7: django.conf.settings",  # nested in a function
    ]
    assert _rule("simulator uses the domain and the wire codec only").violations(tmp_path) == [
        "ingestion/simulator/synth.py:1: django",
        "ingestion/simulator/synth.py:2: monitoring.models.Machine",
    ]
    assert _rule("ingestion does not reach into the API").violations(tmp_path) == [
        "ingestion/services.py:1: monitoring.api.views.x",
    ]


def test_the_domain_and_the_simulator_load_without_django_or_httpx():
    """What the rules promise, at run time: a fresh interpreter loads neither."""
    code = (
        "import sys, monitoring.vibration.measurement, monitoring.vibration.markers, "
        "ingestion.simulator, ingestion.wire; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'httpx')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
