"""The exchange's view: the sandbox's admin routes and GRVT's account API with an API key."""
import socket
from decimal import Decimal
from email.message import Message

import pytest
from eth_account import Account

from grvt_sandbox.config import DEMO_API_KEY, DEMO_SUB_ACCOUNT_ID
from grvt_tools.exchange_view import ExchangeViewError, GrvtAccountView, SandboxAdmin


def test_sandbox_admin_reads_accounts_books_and_adds_sub_accounts(sandbox_process, sandbox_admin):
    assert sandbox_admin.status()["market"] is True
    assert Decimal(sandbox_admin.account(DEMO_SUB_ACCOUNT_ID)["total_equity"]) > 0
    assert sandbox_admin.open_orders(DEMO_SUB_ACCOUNT_ID) == []
    mid = sandbox_admin.mid_price("BTC_USDT_Perp")
    assert mid is not None and mid > 0
    signer = Account.create()
    sandbox_admin.add_account("7000001", "operator-test-key", [signer.address], balance=Decimal("2500"))
    assert Decimal(sandbox_admin.account("7000001")["total_equity"]) == Decimal("2500")
    view = GrvtAccountView.on_sandbox(sandbox_process.url, "operator-test-key", "7000001")
    assert view.fills() == [] and view.open_orders() == [] and view.positions() == []


def test_grvt_account_view_errors_are_clear(sandbox_process):
    with pytest.raises(ExchangeViewError, match="login failed"):
        GrvtAccountView.on_sandbox(sandbox_process.url, "not-a-key", DEMO_SUB_ACCOUNT_ID).fills()
    with pytest.raises(ExchangeViewError, match="GRVT error|HTTP"):
        GrvtAccountView.on_sandbox(sandbox_process.url, DEMO_API_KEY, "123").open_orders()
    with pytest.raises(ExchangeViewError, match="HTTP 404|404"):
        SandboxAdmin(sandbox_process.url).account("999")


def test_a_login_that_never_reached_grvt_says_so_instead_of_blaming_the_key():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    view = GrvtAccountView.on_sandbox(f"http://127.0.0.1:{port}", "secret-api-key-value", DEMO_SUB_ACCOUNT_ID)
    with pytest.raises(ExchangeViewError, match="login failed") as raised:
        view.fills()
    assert "refused" in str(raised.value).lower() and "secret-api-key-value" not in str(raised.value)


def test_domain_urls_follow_the_connector_overrides(monkeypatch):
    monkeypatch.setenv("GRVT_PERPETUAL_TESTNET_BASE_URL", "http://127.0.0.1:9")
    view = GrvtAccountView.for_domain("grvt_perpetual_testnet", "key", "1")
    assert (view.edge_url, view.trades_url) == ("http://127.0.0.1:9", "http://127.0.0.1:9")
    monkeypatch.delenv("GRVT_PERPETUAL_TESTNET_BASE_URL")
    assert GrvtAccountView.for_domain("grvt_perpetual", "key", "1").edge_url == "https://edge.grvt.io"
    assert "key" not in repr(view)


@pytest.mark.parametrize("attributes", ["Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=None; Partitioned",
                                        "Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly; SameSite=Lax"])
def test_login_reads_the_session_cookie_whatever_its_attributes(monkeypatch, attributes):
    # http.cookies drops a whole Set-Cookie header with an attribute it does not know (Partitioned)
    headers = Message()
    headers["Set-Cookie"] = "other=1; Path=/"
    headers["Set-Cookie"] = f"gravity=session-token; {attributes}"
    headers["X-Grvt-Account-Id"] = "ACC"
    monkeypatch.setattr("grvt_tools.exchange_view._http", lambda *args, **kwargs: ({}, headers))
    view = GrvtAccountView.on_sandbox("http://127.0.0.1:9", "key", DEMO_SUB_ACCOUNT_ID)
    view.login()
    assert (view._cookie, view._account_id) == ("session-token", "ACC")
