"""Start-up: order book from v1.book.d, trading rules, balances and funding info from the sandbox."""
from decimal import Decimal

from test.integration.helpers import BEST_ASK, BEST_BID, PAIR, connector_book_matches_sandbox, eventually


async def test_connector_starts_with_book_rules_balances_and_funding_info(connector, liquidity, admin, caplog):
    book = connector.get_order_book(PAIR)
    assert Decimal(str(book.get_price(False))) == BEST_BID
    assert Decimal(str(book.get_price(True))) == BEST_ASK
    await eventually(lambda: connector_book_matches_sandbox(connector, admin), message="book equal to the sandbox's")

    # The book follows the exchange: a new best bid and a taken ask arrive through v1.book.d.
    liquidity.quote(True, BEST_BID + Decimal("5.5"), Decimal("0.25"))
    liquidity.take(True, Decimal("0.2"), BEST_ASK)
    await eventually(lambda: connector_book_matches_sandbox(connector, admin), message="updated book")
    assert book.snapshot_uid > 0 and book.last_diff_uid > book.snapshot_uid  # deltas on top of a stream snapshot
    # the data source warns of every gap (at WARNING, the level its logger has by default), starting the connector too
    assert not [record for phase in ("setup", "call") for record in caplog.get_records(phase)
                if "book sequence broken" in record.getMessage()]
    assert Decimal(str(book.get_price(False))) == BEST_BID + Decimal("5.5")
    assert book.get_price(False) < book.get_price(True)

    rule = connector.trading_rules[PAIR]
    assert rule.min_order_size == Decimal("0.001")
    assert rule.min_base_amount_increment == Decimal("0.001")
    assert rule.min_price_increment == Decimal("0.1")
    assert rule.min_notional_size == Decimal("100")

    account = await admin.demo_account()
    assert connector.get_balance("USDT") == Decimal(account["spot_balances"][0]["balance"]) == Decimal("100000")
    assert connector.get_available_balance("USDT") == Decimal(account["available_balance"])

    funding = connector.get_funding_info(PAIR)
    sandbox_book = await admin.book()
    assert funding.mark_price == Decimal(sandbox_book["mark_price"])
    assert funding.index_price == Decimal(sandbox_book["index_price"])
