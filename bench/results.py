"""Figures, their baselines and targets, written as docs/benchmarks.md and results.json.

Every scenario returns a :class:`Section`: rows of (figure, baseline, ratio) measured in
the same run, notes that say how, and extra tables where a grid reads better. The report
puts the targets of issue 7 first, then one table per scenario, then the machine.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Row:
    """One figure with the baseline it is compared with (measured in the same run)."""

    name: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


@dataclass
class Target:
    """A target of issue 7 and whether this run met it."""

    name: str
    goal: str
    value: float | None
    unit: str
    met: bool | None
    where: str  # the section that has the details


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # extra machine-readable figures

    def add(self, *args: Any, **kwargs: Any) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row


@dataclass
class Report:
    command: str
    quick: bool
    machine: dict[str, Any]
    started_at: str
    duration_s: float = 0.0
    targets: list[Target] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # what limits a worker, this run

    def to_obj(self) -> dict[str, Any]:
        def row_obj(row: Row) -> dict[str, Any]:
            return {**asdict(row), "ratio": row.ratio}

        return {
            "command": self.command,
            "quick": self.quick,
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 1),
            "machine": self.machine,
            "targets": [asdict(t) for t in self.targets],
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "rows": [row_obj(r) for r in s.rows],
                    "notes": s.notes,
                    "tables": [
                        {"title": t, "columns": cols, "rows": rows} for t, cols, rows in s.tables
                    ],
                    "data": s.data,
                }
                for s in self.sections
            ],
            "notes": self.notes,
            "findings": self.findings,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Report:
        """A report read back from ``results.json`` (:meth:`to_obj`)."""

        def row(r: dict[str, Any]) -> Row:
            return Row(**{k: v for k, v in r.items() if k != "ratio"})

        return cls(
            command=obj["command"],
            quick=obj["quick"],
            machine=obj["machine"],
            started_at=obj["started_at"],
            duration_s=obj.get("duration_s", 0.0),
            targets=[Target(**t) for t in obj.get("targets", [])],
            sections=[
                Section(
                    key=s["key"],
                    title=s["title"],
                    rows=[row(r) for r in s["rows"]],
                    notes=list(s["notes"]),
                    tables=[(t["title"], t["columns"], t["rows"]) for t in s["tables"]],
                    data=s["data"],
                )
                for s in obj.get("sections", [])
            ],
            notes=list(obj.get("notes", [])),
            findings=list(obj.get("findings", [])),
        )

    def merged_into(self, earlier: Report) -> Report:
        """``earlier`` with this run's sections and targets in place of its own of the same
        sections, and a note that says which run measured which."""
        mine = {s.title for s in self.sections}
        note = (
            f"Sections {', '.join(sorted(t.split('.')[0] for t in mine))} were measured "
            f"{self.started_at}, {'quick run' if self.quick else 'full run'}, in "
            f"{self.duration_s / 60:.1f} minutes, with `{self.command}` (`--merge`); the "
            f"rest {earlier.started_at} with `{earlier.command}`."
        )
        return Report(
            command=earlier.command,
            quick=earlier.quick,
            machine=earlier.machine,
            started_at=earlier.started_at,
            duration_s=earlier.duration_s,
            targets=[t for t in earlier.targets if t.where not in mine] + self.targets,
            sections=[s for s in earlier.sections if s.title not in mine] + self.sections,
            notes=[n for n in earlier.notes if "(`--merge`)" not in n] + [note, *self.notes],
            findings=earlier.findings,
        )

    def markdown(self) -> str:
        mode = "quick run (`QUICK=1`, small sizes)" if self.quick else "full run"
        out = [
            "# Benchmarks",
            "",
            f"Measured {self.started_at} on the machine described at the end, {mode}, "
            f"in {self.duration_s / 60:.1f} minutes with:",
            "",
            f"    {self.command}",
            "",
            "Everything ran against the real Kafka broker and Redis server, each scenario on "
            "its own topic prefix and key prefix, deleted afterwards. Every baseline was "
            "measured in the same run, right before or after its figure; the ratio is "
            "figure / baseline. `bench/results.json` holds the same figures.",
            "",
            "## Targets (issues 7 and 14)",
            "",
            "| target | goal | this run | met |",
            "|---|---|---|---|",
        ]
        for t in self.targets:
            met = "—" if t.met is None else ("**met**" if t.met else "**not met**")
            out.append(f"| {t.name} | {t.goal} | {fmt(t.value)} {t.unit} | {met} |")
        out.append("")
        for note in self.notes:
            out += [note, ""]
        if self.findings:
            out += ["## Findings", ""]
            out += [f"- {finding}" for finding in self.findings]
            out.append("")
        # In the order ("1. Limits ..."), whatever order they ran in.
        for s in sorted(self.sections, key=lambda s: s.title):
            out += [f"## {s.title}", ""]
            if s.rows:
                out += [
                    "| measurement | figure | baseline | ratio |",
                    "|---|---|---|---|",
                ]
                for r in s.rows:
                    base = "—"
                    if r.baseline_name:
                        base = f"{fmt(r.baseline)} {r.unit} ({r.baseline_name})"
                    ratio = "—" if r.ratio is None else f"{r.ratio:.3g}×"
                    name = f"{r.name} ({r.note})" if r.note else r.name
                    out.append(f"| {name} | {fmt(r.value)} {r.unit} | {base} | {ratio} |")
                out.append("")
            for title, columns, rows in s.tables:
                out += [f"**{title}**", "", "| " + " | ".join(columns) + " |"]
                out.append("|" + "---|" * len(columns))
                out += ["| " + " | ".join(row) + " |" for row in rows]
                out.append("")
            out += [note + "\n" for note in s.notes]
        out += ["## Machine", "", "| | |", "|---|---|"]
        out += [f"| {k} | {v} |" for k, v in self.machine.items()]
        out.append("")
        return "\n".join(out)


def fmt(value: float | None) -> str:
    """A figure with three significant digits and thousands separators.

    >>> fmt(5234.7), fmt(0.01234), fmt(12.34), fmt(None)
    ('5,235', '0.0123', '12.3', 'n/a')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"
