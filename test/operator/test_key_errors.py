"""Key errors name the key that is wrong: a 1001 on a private request names the trading account id."""
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import GrvtPerpetualAPIError


def test_unauthorized_names_the_trading_account_id():
    error = GrvtPerpetualAPIError(1001, "You are not authorized to access this functionality", 403,
                                  "full/v1/account_summary")
    named = error.naming_trading_account("1234567890")
    assert "trading account id 1234567890" in str(named)
    assert "not allowed to use this endpoint" not in str(named)
    assert (named.code, named.http_status, named.path) == (1001, 403, "full/v1/account_summary")
    assert error.naming_trading_account("") is error


def test_other_errors_are_left_as_they_are():
    error = GrvtPerpetualAPIError(2000, "signature does not match", 400, "full/v1/create_order")
    assert error.naming_trading_account("1234567890") is error
