"""Fixed log-scale histograms computed in SQL (a CASE over bucket edges works the same on
PostgreSQL and SQLite), and what the statistics need from them: representative values
and quantiles. Events are counted per bucket by the database, never loaded into Python."""

from dataclasses import dataclass
from functools import cached_property

from django.db.models import Case, Expression, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce


def _one_two_five(low_exp: int, high_exp: int) -> tuple[float, ...]:
    return (
        *tuple(float(f"{m}e{e}") for e in range(low_exp, high_exp) for m in (1, 2, 5)),
        float(f"1e{high_exp}"),
    )


@dataclass(frozen=True)
class Measure:
    """A numeric column of the audit events, bucketed on a 1-2-5 log scale."""

    name: str
    label: str
    unit: str
    edges: tuple[float, ...]  # bucket i holds [edges[i], edges[i+1]); the last, >= edges[-1]

    def value(self) -> Expression:
        if self.name == "tokens":
            return Coalesce(F("tokens_in"), 0) + Coalesce(F("tokens_out"), 0)
        return F(self.name)

    def present(self) -> Q:
        if self.name == "tokens":
            return Q(tokens_in__isnull=False) | Q(tokens_out__isnull=False)
        return Q(**{f"{self.name}__isnull": False})

    def bucket(self, field: str = "measured") -> Case:
        """Bucket index of the annotated `field`: 0 below edges[1], len(edges)-1 at the top."""
        whens = [When(**{f"{field}__lt": edge}, then=Value(i)) for i, edge in enumerate(self.edges[1:])]
        return Case(*whens, default=Value(len(self.edges) - 1), output_field=IntegerField())

    @cached_property
    def centres(self) -> tuple[float, ...]:
        """One value standing for each bucket (its midpoint; the open top one, 1.5× its edge)."""
        pairs = zip(self.edges, self.edges[1:], strict=False)
        return (*tuple((low + high) / 2 for low, high in pairs), self.edges[-1] * 1.5)

    def quantile(self, counts: list[int], q: float) -> float | None:
        """The q-quantile, interpolated linearly inside its bucket."""
        total = sum(counts)
        if not total:
            return None
        target, seen = q * total, 0
        for i, n in enumerate(counts):
            if n and seen + n >= target:
                low = self.edges[i]
                high = self.edges[i + 1] if i + 1 < len(self.edges) else low * 2
                return low + (high - low) * (target - seen) / n
            seen += n
        return self.edges[-1]

    def mean(self, counts: list[int]) -> float | None:
        total = sum(counts)
        return sum(c * n for c, n in zip(self.centres, counts, strict=True)) / total if total else None

    def format(self, value: float | None) -> str:
        if value is None:
            return "—"
        if self.unit == "ms":
            return f"{value / 1000:,.1f} s" if value >= 1000 else f"{value:,.0f} ms"
        if self.unit == "USD":
            return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"
        return f"{value:,.0f} {self.unit}"


LATENCY = Measure("duration_ms", "Latency", "ms", (0.0, *_one_two_five(0, 6)))
COST = Measure("cost_usd", "Cost per event", "USD", (0.0, *_one_two_five(-6, 2)))
TOKENS = Measure("tokens", "Tokens per event", "tokens", (0.0, *_one_two_five(0, 6)))
MEASURES = (LATENCY, COST, TOKENS)
