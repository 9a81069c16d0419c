"""clausetrack: track the clauses of a negotiated document across its drafts."""

from __future__ import annotations

__version__ = "0.1.0"
