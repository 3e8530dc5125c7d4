"""Fault injection at order entry: the next N API orders fail, synchronously with an error code or accepted and
then REJECTED on the streams with a reason."""
from dataclasses import dataclass
from typing import List, Optional

from grvt_sandbox import enums


@dataclass
class ForcedReject:
    remaining: int
    code: Optional[int]  # None: accepted, then rejected asynchronously with `reason`
    reason: str = enums.SYSTEM_FAILOVER


class ForcedRejects:
    def __init__(self) -> None:
        self.pending: List[ForcedReject] = []

    def add(self, count: int, code: Optional[int] = None, reason: str = enums.SYSTEM_FAILOVER) -> None:
        if count < 0:
            raise ValueError("count must not be negative")
        if reason not in enums.REJECT_REASONS:
            raise ValueError(f"unknown reject reason {reason!r}")
        self.pending.append(ForcedReject(int(count), None if code is None else int(code), reason))

    def take(self) -> Optional[ForcedReject]:
        """The fault for the next order, if one is pending (each one counts down, oldest first)."""
        while self.pending:
            entry = self.pending[0]
            if entry.remaining <= 0:
                self.pending.pop(0)
                continue
            entry.remaining -= 1
            return entry
        return None

    def clear(self) -> None:
        self.pending.clear()

    def __bool__(self) -> bool:
        return any(entry.remaining > 0 for entry in self.pending)
