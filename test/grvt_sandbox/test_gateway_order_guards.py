"""Gateway-side order entry guards: forced rejects (fault injection) and repeated signed payloads."""
import pytest

from grvt_sandbox.clock import Clock
from grvt_sandbox.gateway.forced_rejects import ForcedRejects
from grvt_sandbox.gateway.replay_guard import ReplayGuard


def test_forced_rejects_count_down_oldest_first():
    rejects = ForcedRejects()
    assert not rejects and rejects.take() is None
    rejects.add(1, code=1002)
    rejects.add(2, reason="SELF_TRADE_PROTECTION")
    assert rejects
    first = rejects.take()
    assert (first.code, first.reason) == (1002, "SYSTEM_FAILOVER")
    assert [rejects.take().reason for _ in range(2)] == ["SELF_TRADE_PROTECTION"] * 2
    assert rejects.take() is None and not rejects
    with pytest.raises(ValueError):
        rejects.add(1, reason="NOT_A_REASON")
    rejects.add(3)
    rejects.clear()
    assert rejects.take() is None


def test_replay_guard_remembers_a_digest_until_its_signature_expires():
    clock = Clock()
    guard = ReplayGuard(clock)
    expiration = clock.now_ns() + 10 * 10 ** 9
    assert guard.is_repeat(b"a") is False
    guard.remember(b"a", expiration)
    assert guard.is_repeat(b"a") is True
    guard.remember(b"b", expiration + 10 ** 9)
    clock.advance(10.5)
    assert guard.is_repeat(b"a") is False  # expired, so forgotten
    assert guard.is_repeat(b"b") is True
    guard.discard(b"b")
    assert guard.is_repeat(b"b") is False
    guard.remember(b"b", expiration + 10 ** 9)
    guard.forget()
    assert len(guard) == 0 and guard.is_repeat(b"b") is False
