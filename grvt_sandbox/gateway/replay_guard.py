"""GRVT ignores an order whose signed payload, nonce included, it has already seen: the gateway remembers each
signature digest until the signature expires."""
import heapq
from typing import Dict, List, Tuple

from grvt_sandbox.clock import Clock


class ReplayGuard:
    def __init__(self, clock: Clock):
        self._clock = clock
        self._seen: Dict[bytes, int] = {}  # digest -> signature expiration (ns)
        self._by_expiration: List[Tuple[int, bytes]] = []

    def first_sighting(self, digest: bytes, expiration_ns: int) -> bool:
        """True the first time a digest is seen; False for a repeat while its signature is still valid."""
        now = self._clock.now_ns()
        heap = self._by_expiration
        while heap and heap[0][0] <= now:
            _, old = heapq.heappop(heap)
            self._seen.pop(old, None)
        if digest in self._seen:
            return False
        self._seen[digest] = expiration_ns
        heapq.heappush(heap, (expiration_ns, digest))
        return True

    def forget(self) -> None:
        self._seen.clear()
        self._by_expiration.clear()

    def __len__(self) -> int:
        return len(self._seen)
