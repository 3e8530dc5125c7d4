"""GRVT ignores an order whose signed payload, nonce included, it has already seen: the gateway remembers each
signature digest, once the order is accepted, until the signature expires. Signatures may live 30 days, so the
sandbox keeps at most MAX_DIGESTS of them: a payload repeated after that many newer accepted orders is judged again
(its client order id is still refused while that order is active)."""
import heapq
from typing import Dict, List, Tuple

from grvt_sandbox.clock import Clock


class ReplayGuard:
    MAX_DIGESTS = 200_000

    def __init__(self, clock: Clock):
        self._clock = clock
        self._seen: Dict[bytes, int] = {}  # digest -> signature expiration (ns), oldest accepted first
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
        if len(self._seen) > self.MAX_DIGESTS:
            del self._seen[next(iter(self._seen))]
        if len(self._by_expiration) > 2 * self.MAX_DIGESTS:  # drops the index entries of forgotten digests
            self._by_expiration = [(expiration, seen) for seen, expiration in self._seen.items()]
            heapq.heapify(self._by_expiration)

    def discard(self, digest: bytes) -> None:
        """Forgets an accepted order that was withdrawn again (a bulk batch refused as a whole)."""
        self._seen.pop(digest, None)

    def forget(self) -> None:
        self._seen.clear()
        self._by_expiration.clear()

    def __len__(self) -> int:
        return len(self._seen)
