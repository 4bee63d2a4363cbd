"""Print the README's performance tables (markdown) from bench-results.json, so they are generated, not typed.

    .venv/bin/python -m bench.readme_table [bench-results.json] > /tmp/table.md

The first table has every figure that was measured: median, min – max of the
runs, its target (or floor) and whether it was met, with the reason given in
the JSON for a miss. The second (when the run had --compare-years) puts the
history figures at each number of years side by side with their growth. A
heading line says what was measured, on what machine, and how busy it was.
No Django needed: it only reads the JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Floors printed in the target column (figure -> the figure that is its floor, and how it is measured).
FLOORS = {
    "report_ms": ("report_sql_floor_ms", " ms", "one SQL query"),
    "session_post_rps": ("floor_rps", "/s", "GET /healthz"),
}


def number(value, name: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name.endswith("_ratio"):
        return f"{value:.2f}"
    if isinstance(value, float) and not value.is_integer():
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return f"{value:,.0f}"


def verdict(target: dict | None) -> str:
    if not target:
        return ""
    if target.get("met") is None:
        return "not measured" if target.get("value") is None else ""
    if target["met"]:
        return "met"
    reason = target.get("reason")
    return f"missed: {reason}" if reason else "missed"


def figures_table(results: dict) -> list[str]:
    stats, targets = results.get("stats", {}), results.get("targets", {})
    lines = ["| figure | median | min – max | target / floor | |", "|---|---:|---:|---|---|"]
    for name, stat in stats.items():
        if not isinstance(stat, dict) or "median" not in stat:
            continue
        target = targets.get(name)
        goal = target["target"] if target else ""
        if name in FLOORS and results.get(FLOORS[name][0]) is not None:
            floor, unit, how = FLOORS[name]
            floor_stat = stats.get(floor, {})
            goal = (f"floor {number(results[floor])}{unit} ({number(floor_stat.get('min'))} – "
                    f"{number(floor_stat.get('max'))}), {how}")
        spread = "" if stat["min"] == stat["max"] else f"{number(stat['min'], name)} – {number(stat['max'], name)}"
        lines.append(f"| `{name}` | {number(stat['median'], name)} | {spread} | {goal} | {verdict(target)} |")
    for name, target in targets.items():
        if name not in stats and not name.startswith("years_"):
            lines.append(f"| `{name}` | {number(target.get('value'))} | | {target['target']} | {verdict(target)} |")
    return lines


def years_table(results: dict) -> list[str]:
    section = results.get("years") or {}
    if not section:
        return []
    compared = [str(y) for y in section["compared"]]
    targets = results.get("targets", {})
    head = " | ".join(f"{y} year{'s' if y != '1' else ''}" for y in compared)
    lines = [f"| figure | {head} | growth | fastest runs | target | |",
             "|---|" + "---:|" * (len(compared) + 2) + "---|---|"]
    for name, row in section["figures"].items():
        values = " | ".join(number(row["by_years"].get(y), name) for y in compared)
        target = targets.get(f"years_{name}_growth") or targets.get(f"years_{name}_constant")
        growth, fastest = row.get("growth"), row.get("growth_of_fastest")
        lines.append(f"| `{name}` | {values} | {'' if growth is None else f'{growth:.2f}×'} | "
                     f"{'' if fastest is None else f'{fastest:.2f}×'} | "
                     f"{target['target'] if target else ''} | {verdict(target)} |")
    builds = section.get("builds", {})
    if builds:
        lines.append("")
        lines.append("Data per build (Bench Clinic): " + "; ".join(
            f"{y} year{'s' if y != '1' else ''}: {info['rows'].get('sessions', 0):,} sessions, "
            f"{info['rows'].get('assignments', 0):,} plans, {info['rows'].get('audit events', 0):,} audit events, "
            f"built in {info['build_s']:.0f} s" for y, info in builds.items()))
    return lines


def heading(results: dict) -> str:
    machine = results.get("machine", {})
    database = machine.get("database", {})
    load = machine.get("load_average_at_start") or [None]
    history = results.get("history_years", 1)
    return (f"Measured {results.get('date', '?')[:10]}, scale {results.get('scale')}, {results.get('runs')} runs "
            f"after a warm-up, {history} year{'s' if history != 1 else ''} of history, mode {results.get('mode')} "
            f"({database.get('vendor', '?')} {str(database.get('version', '')).split(' ')[0]}), "
            f"{machine.get('cpu_count', '?')} CPUs, Python {machine.get('python', '?')}, Django "
            f"{machine.get('django', '?')}, DEBUG {'on' if machine.get('debug') else 'off'}; load average "
            f"{number(load[0])} at start. Generated by `python -m bench.readme_table` from bench-results.json.")


def markdown(results: dict) -> str:
    parts = [heading(results), "", *figures_table(results)]
    years = years_table(results)
    if years:
        parts += ["", *years]
    if results.get("skipped"):
        parts += ["", "Skipped: " + "; ".join(results["skipped"]) + "."]
    return "\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "bench-results.json")
    sys.stdout.write(markdown(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
