"""The bot status file: a JSON snapshot of the connectors, whatever types their fields carry."""
from decimal import Decimal
from enum import Enum
from types import SimpleNamespace

from grvt_tools.bot_status import connector_status, read_status, snapshot, write_atomically


class Side(Enum):
    BUY = 1
    LONG = 2


class State(Enum):
    OPEN = 1


class FakeMetrics:
    def summary(self):
        return {"send_to_ack_ms": {"count": 3, "p50": Decimal("1.5")}, "circuit_open": False}


class FakeConnector:
    ready = True
    trading_pairs = ["BTC-USDT"]
    order_metrics = FakeMetrics()

    def __init__(self):
        self.in_flight_orders = {"1": SimpleNamespace(trading_pair="BTC-USDT", trade_type=Side.BUY, price=Decimal("9"),
                                                      amount=Decimal("0.1"), current_state=State.OPEN, is_done=False),
                                 "2": SimpleNamespace(is_done=True)}
        self.account_positions = {"BTC-USDT": SimpleNamespace(
            trading_pair="BTC-USDT", position_side=Side.LONG, amount=Decimal("0.002"), entry_price=Decimal("90000"),
            unrealized_pnl=Decimal("NaN"), leverage=Decimal("5"))}

    def get_price_by_type(self, trading_pair, price_type):
        return Decimal("90001.5")


def test_a_snapshot_with_decimal_fields_is_written_and_read_back(tmp_path):
    hb = SimpleNamespace(trading_core=SimpleNamespace(
        strategy_name="grvt_v2_controllers",
        connector_manager=SimpleNamespace(connectors={"grvt_perpetual_testnet": FakeConnector()})))
    path = tmp_path / "status.json"
    write_atomically(path, snapshot(hb))
    status = read_status(path)["connectors"]["grvt_perpetual_testnet"]
    assert status["open_orders"] == [{"trading_pair": "BTC-USDT", "side": "BUY", "price": "9", "amount": "0.1",
                                      "state": "OPEN"}]
    assert status["positions"] == [{"trading_pair": "BTC-USDT", "side": "LONG", "amount": "0.002",
                                    "entry_price": "90000", "unrealized_pnl": None, "leverage": "5"}]
    assert status["mid_prices"] == {"BTC-USDT": "90001.5"}
    assert status["order_metrics"] == {"send_to_ack_ms": {"count": 3, "p50": "1.5"}, "circuit_open": False}
    assert read_status(tmp_path / "missing.json") is None
    assert connector_status(SimpleNamespace())["open_orders"] == []
