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


def test_replay_guard_keeps_a_bounded_number_of_digests(monkeypatch):
    # Signatures may live 30 days: a venue running for days must not keep every accepted payload until then.
    monkeypatch.setattr(ReplayGuard, "MAX_DIGESTS", 100, raising=False)
    clock = Clock()
    guard = ReplayGuard(clock)
    expiration = clock.now_ns() + 30 * 24 * 3600 * 10 ** 9
    for number in range(1000):
        guard.remember(number.to_bytes(4, "big"), expiration)
    assert len(guard) == 100
    assert len(guard._by_expiration) <= 200  # the expiry index does not keep the forgotten digests either
    assert guard.is_repeat((999).to_bytes(4, "big")) and guard.is_repeat((900).to_bytes(4, "big"))
    assert not guard.is_repeat((899).to_bytes(4, "big"))  # the oldest accepted are judged again
