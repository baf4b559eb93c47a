"""Problems found in scenario files, collected so a user sees all of them at once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located as precisely as we can."""

    file: str
    key_path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        key = f" {_cut(self.key_path, 200)}:" if self.key_path else ""
        return f"{where}:{key} {_cut(self.message, MAX_MESSAGE)}"


MAX_MESSAGE = 600
"""Characters of a problem's message shown: a message quoting a huge value the user wrote stays one readable line."""


def _cut(text: str, most: int) -> str:
    if len(text) <= most:
        return text
    return f"{text[:most - 100]} ... ({len(text) - most + 60:,} characters cut) ... {text[-40:]}"


MAX_SHOWN = 40
"""Problems listed in a report: a file broken in hundreds of places (500 copies of an intervention) would otherwise
print thousands of lines; the first ones are enough to start fixing it."""


class ScenarioError(Exception):
    """Raised when a scenario cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.problems)
        head = f"{n:,} problem{'s' if n != 1 else ''} in scenario:"
        lines = [head, *(f"  - {p}" for p in self.problems[:MAX_SHOWN])]
        if n > MAX_SHOWN:
            lines.append(f"  ... and {n - MAX_SHOWN:,} more (fix the ones above first)")
        return "\n".join(lines)
