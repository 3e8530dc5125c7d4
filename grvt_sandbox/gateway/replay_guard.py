"""GRVT ignores an order whose signed payload, nonce included, it has already seen: the gateway remembers each
signature digest, once the order is accepted, until the signature expires."""
import heapq
from typing import Dict, List, Tuple

from grvt_sandbox.clock import Clock


class ReplayGuard:
    def __init__(self, clock: Clock):
        self._clock = clock
        self._seen: Dict[bytes, int] = {}  # digest -> signature expiration (ns)
        self._by_expiration: List[Tuple[int, bytes]] = []

    def is_repeat(self, digest: bytes) -> bool:
        """True for a digest remembered while its signature is still valid."""
        now = self._clock.now_ns()
        heap = self._by_expiration
        while heap and heap[0][0] <= now:
            _, old = heapq.heappop(heap)
            self._seen.pop(old, None)
        return digest in self._seen

    def remember(self, digest: bytes, expiration_ns: int) -> None:
        """Called once the order is accepted: a refused order's payload may be sent again and judged again."""
        self._seen[digest] = expiration_ns
        heapq.heappush(self._by_expiration, (expiration_ns, digest))

    def discard(self, digest: bytes) -> None:
        """Forgets an accepted order that was withdrawn again (a bulk batch refused as a whole)."""
        self._seen.pop(digest, None)

    def forget(self) -> None:
        self._seen.clear()
        self._by_expiration.clear()

    def __len__(self) -> int:
        return len(self._seen)
