"""What a transformation did, stage to stage: the structural pairing (``diff.pairs``) and its
summary in words (``diff.summary``), made here so neither needs the other's caller."""

from __future__ import annotations

from ..ir.graph import Stage
from .pairs import (
    ADDED,
    CHANGED,
    CLASSES,
    REMOVED,
    UNCHANGED,
    Pair,
    StageDiff,
    is_wrapped,
    pair_stages,
)
from .summary import summarise

__all__ = ["ADDED", "CHANGED", "CLASSES", "REMOVED", "UNCHANGED", "Pair", "StageDiff",
           "diff_stages", "is_wrapped"]


def diff_stages(before: Stage, after: Stage) -> StageDiff:
    """The structural diff from one stage to another (usually the next), with its summary."""
    result = pair_stages(before, after)
    result.summary = summarise(result, after)
    return result
