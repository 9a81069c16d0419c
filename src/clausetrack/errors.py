"""One exception base for every user-facing failure; the CLI maps it to exit status 2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clausetrack.model import Loc


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where, what, and what to do about it."""

    loc: Loc
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.loc}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ClausetrackError(Exception):
    """A user mistake or an environment problem: reported as ``Error: ...``, exit status 2."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        """One line: the message, then what to do about it."""
        if self.hint:
            return f"{self.message}; {self.hint}"
        return self.message


class CorpusError(ClausetrackError):
    """The corpus has problems; all of them are collected and reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        lines = [str(p) for p in self.problems]
        where = self.problems[0].loc.path if self.problems else "the corpus"
        head = f"{n} problem{'s' if n != 1 else ''} in the corpus (first in {where})"
        super().__init__(head, "run `clausetrack check` for the full list")
        self.lines = lines


class UsageError(ClausetrackError):
    """Bad arguments: an unknown version or clause id, a bad output path."""
