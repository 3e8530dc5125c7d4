"""The probe's timestamps mean what the latency rows say: ack = the create request answered."""
import time
from types import SimpleNamespace

from bench.harness import OrderProbe
from hummingbot.core.data_type.in_flight_order import OrderState


class FakeTracker:
    def __init__(self):
        self.updates = []

    def process_order_update(self, update):
        self.updates.append(update)


class FakeConnector:
    """A connector whose private stream reports the order OPEN while its create request is still unanswered."""

    def __init__(self):
        self._order_tracker = FakeTracker()
        self.answered_at = None

    async def _place_order(self, order_id, *args, **kwargs):
        self._order_tracker.process_order_update(SimpleNamespace(client_order_id=order_id,
                                                                 new_state=OrderState.OPEN))
        seen_at = time.monotonic()
        while time.monotonic() <= seen_at:  # the answer comes strictly after the stream's OPEN
            pass
        self.answered_at = time.monotonic()
        return "0xabc", 1.0

    async def _iter_user_event_queue(self):
        return
        yield


async def test_ack_is_the_create_answer_even_when_the_stream_reports_open_first():
    connector = FakeConnector()
    probe = OrderProbe(connector)
    await connector._place_order("1001", "BTC-USDT")
    assert probe.acked["1001"] >= connector.answered_at
    assert len(connector._order_tracker.updates) == 1  # the update still reaches the tracker


async def test_an_order_created_without_place_order_is_acknowledged_by_its_open_update():
    connector = FakeConnector()
    probe = OrderProbe(connector)
    before = time.monotonic()
    connector._order_tracker.process_order_update(SimpleNamespace(client_order_id="2002", new_state=OrderState.OPEN))
    assert probe.acked["2002"] >= before
