"""The indicator catalogue: each indicator a reading carries, declared once.

Everything that lists indicators derives from :data:`INDICATORS`: the embedded models a reading
stores them in and the rollup fields (``monitoring.models``), the rollup arithmetic
(``monitoring.services``), the time-series metric choices and units (``monitoring.selectors``),
the API's indicator serializers and the admin rows. Adding an indicator means computing it
(``monitoring.vibration``), declaring it here and, because it is stored, a migration.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    """One stored indicator of a reading."""

    #: Dotted path in a reading document, also its metric name in the API.
    path: str
    unit: str
    label: str
    #: Whether the per-customer/area hourly rollups (dashboards) carry it too; bearing rollups
    #: carry every indicator. Headline indicators are also kept as the bearing's latest value.
    headline: bool = False
    #: Shown in the schema and the admin (conventions an analyst needs to read the number).
    help_text: str = ""
    #: May be missing on a reading (not computable for it, or stored before it existed).
    nullable: bool = False

    @property
    def name(self) -> str:
        """The metric name the API accepts (``velocity.rms``)."""
        return self.path

    @property
    def group(self) -> str | None:
        """The embedded document holding it (``velocity``), None for a top-level field."""
        head, _, rest = self.path.partition(".")
        return head if rest else None

    @property
    def field(self) -> str:
        """The field name inside its group, or the top-level field."""
        return self.path.rpartition(".")[2]

    @property
    def rollup_field(self) -> str:
        """The field of the hourly rollups aggregating it (``velocity_rms``)."""
        return self.path.replace(".", "_")

    @property
    def parts(self) -> tuple[str, ...]:
        """The path split once, for reading documents without re-splitting per reading."""
        return tuple(self.path.split("."))


def _match_score(defect: str) -> Indicator:
    """The envelope match score of one bearing defect type (bpfo, bpfi, bsf, ftf)."""
    return Indicator(
        f"envelope.{defect}_score", "1", f"{defect.upper()} match score", nullable=True,
        help_text=f"{defect.upper()} harmonics 1-3 in the envelope spectrum over its noise floor "
        "(geometric mean): noise scores ~1-4, a clear defect 15 and more; null without the "
        "bearing's geometry or shaft speed",
    )  # fmt: skip


INDICATORS: tuple[Indicator, ...] = (
    Indicator("acceleration.rms", "g", "acceleration RMS", headline=True, help_text="g RMS"),
    Indicator("acceleration.peak", "g", "acceleration peak", help_text="g"),
    Indicator(
        "acceleration.crest_factor", "1", "acceleration crest factor", help_text="peak / RMS"
    ),
    Indicator(
        "acceleration.kurtosis", "1", "kurtosis", help_text="Pearson kurtosis (Gaussian = 3)"
    ),
    Indicator("velocity.rms", "mm/s", "velocity RMS", headline=True, help_text="mm/s RMS"),
    Indicator("velocity.peak", "mm/s", "velocity peak", help_text="mm/s"),
    Indicator("velocity.crest_factor", "1", "velocity crest factor", help_text="peak / RMS"),
    Indicator("temperature", "°C", "temperature", headline=True, help_text="deg C"),
    # Envelope (demodulation) analysis: bearing defects show here weeks before velocity moves.
    Indicator(
        "envelope.rms", "gE", "envelope RMS", nullable=True,
        help_text="gE RMS of the envelope of the acceleration band-passed to band_hz",
    ),
    Indicator("envelope.peak", "gE", "envelope peak", nullable=True, help_text="gE"),
    *(_match_score(defect) for defect in ("bpfo", "bpfi", "bsf", "ftf")),
)  # fmt: skip

BY_NAME: dict[str, Indicator] = {i.name: i for i in INDICATORS}
HEADLINE: tuple[Indicator, ...] = tuple(i for i in INDICATORS if i.headline)


def in_group(group: str) -> tuple[Indicator, ...]:
    """The indicators stored in one embedded document of a reading (``acceleration``)."""
    return tuple(i for i in INDICATORS if i.group == group)


def groups() -> tuple[str, ...]:
    """The embedded documents of a reading, in catalogue order."""
    return tuple(dict.fromkeys(i.group for i in INDICATORS if i.group))
