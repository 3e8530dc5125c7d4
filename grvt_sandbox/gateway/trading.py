"""Trading routes (REST `/full/v1/<route>`, `/full/v2/bulk_orders` and the same JSON-RPC methods on /ws/full).
Every handler takes the caller's session and the request body and returns the response body."""
from typing import Callable, Dict, List, Optional, Tuple

from grvt_sandbox import enums
from grvt_sandbox.accounts.account import SubAccount
from grvt_sandbox.engine.exchange import Exchange
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.gateway import encoding
from grvt_sandbox.gateway.forced_rejects import ForcedRejects
from grvt_sandbox.gateway.replay_guard import ReplayGuard
from grvt_sandbox.gateway.requests import (
    client_order_id_of,
    history_page,
    instrument_filter,
    optional_str,
    optional_uint,
    order_reference,
    parse_order,
    require_dict,
    sub_account_id_of,
)
from grvt_sandbox.gateway.sessions import Session
from grvt_sandbox.signing.verifier import SignatureVerifier, check_signer_permission

Handler = Callable[[Session, dict], dict]
MAX_COUNTDOWN_MS = 300_000


class TradingService:
    def __init__(self, exchange: Exchange, verifier: SignatureVerifier):
        self.exchange = exchange
        self.verifier = verifier
        self.replay_guard = ReplayGuard(exchange.clock)
        self.forced_rejects = ForcedRejects()
        self.routes: Dict[str, Handler] = {
            "v1/create_order": self.create_order,
            "v1/cancel_order": self.cancel_order,
            "v1/cancel_all_orders": self.cancel_all_orders,
            "v2/bulk_orders": self.bulk_orders,
            "v1/cancel_on_disconnect": self.cancel_on_disconnect,
            "v1/order": self.get_order,
            "v1/open_orders": self.open_orders,
            "v1/order_history": self.order_history,
            "v1/fill_history": self.fill_history,
            "v1/positions": self.positions,
            "v1/account_summary": self.account_summary,
            "v1/funding_payment_history": self.funding_payment_history,
            "v1/get_all_initial_leverage": self.get_all_initial_leverage,
            "v1/set_initial_leverage": self.set_initial_leverage,
            "v1/get_sub_accounts": self.get_sub_accounts,
        }

    # ------------------------------------------------------------------ helpers
    def _account(self, session: Session, body: dict, code: int = 1001) -> SubAccount:
        sub_account_id = sub_account_id_of(body)
        if sub_account_id not in session.sub_account_ids:
            raise GrvtApiError(code, "sub account not accessible with this session")
        return self.exchange.account(sub_account_id)

    def _speed_bump_s(self, post_only: bool) -> float:
        return 0.0 if post_only else self.exchange.config.speed_bump_ms / 1000.0

    def _accept_order(self, session: Session, raw_order: object) -> Tuple[Optional[dict], bytes]:
        """Parses, verifies and places one order; returns the acknowledged Order JSON (None for a repeat of an
        accepted order's signed payload, same nonce, which GRVT ignores) and the payload's digest."""
        request, fields, signature = parse_order(raw_order, self.exchange)
        if request.sub_account_id not in session.sub_account_ids:
            raise GrvtApiError(2003)
        account = self.exchange.account(request.sub_account_id)
        now = self.exchange.now_ns()
        signer, digest = self.verifier.verify(signature, fields, now)
        check_signer_permission(account, signer)
        if self.replay_guard.is_repeat(digest):
            return None, digest
        forced = self.forced_rejects.take() if self.forced_rejects else None
        if forced is None:
            order = self.exchange.place_order(request, self._speed_bump_s(request.post_only))
        elif forced.code is not None:
            raise GrvtApiError(forced.code, "rejected by fault injection")
        else:
            order = self.exchange.accept_order(request)
            self.exchange.reject_order(order, forced.reason)
        self.replay_guard.remember(digest, request.expiration)
        return encoding.order_json(order, acknowledged=True), digest

    # ------------------------------------------------------------------ order entry
    def create_order(self, session: Session, body: dict) -> dict:
        raw_order = require_dict(require_dict(body).get("order"), "order")
        acknowledged, _ = self._accept_order(session, raw_order)
        if acknowledged is None:  # a repeated payload: echo the request, nothing else happens
            acknowledged = dict(raw_order, order_id="0x00")
        return {"result": acknowledged}

    def cancel_order(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        order_id, client_order_id = order_reference(body)
        ttl = optional_uint(body, "time_to_live_ms")
        if ttl and not self.exchange.config.cancel_ttl_enabled:
            raise GrvtApiError(2300)
        self.exchange.cancel_order(account.sub_account_id, order_id=order_id,
                                   client_order_id=None if order_id else client_order_id, time_to_live_ms=ttl)
        return {"result": {"ack": True}}

    def cancel_all_orders(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        accept = instrument_filter(body)
        self.exchange.cancel_all(account.sub_account_id, accept=lambda order: accept(order.instrument))
        return {"result": {"ack": True}}

    def bulk_orders(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        orders = body.get("orders") or []
        # GRVT's field names (ApiBulkOrdersRequest); "order_ids" / "client_order_ids" are unknown and ignored
        order_ids = body.get("order_i_ds") or []
        client_ids = body.get("client_order_i_ds") or []
        if not isinstance(orders, list) or not isinstance(order_ids, list) or not isinstance(client_ids, list):
            raise GrvtApiError(1003, "orders, order_i_ds and client_order_i_ds must be lists")
        limit = self.exchange.config.max_bulk_orders
        if len(orders) > limit or len(order_ids) > limit or len(client_ids) > limit:
            raise GrvtApiError(2235)
        if order_ids and client_ids:
            raise GrvtApiError(2233)
        instruments = {leg.get("instrument") for order in orders if isinstance(order, dict)
                       for leg in (order.get("legs") or []) if isinstance(leg, dict)}
        if len(instruments) > 1:
            raise GrvtApiError(2234)
        ttl = optional_uint(body, "time_to_live_ms")
        if not all(isinstance(order_id, str) for order_id in order_ids):
            raise GrvtApiError(1003, "order_i_ds must be strings")
        client_ids = [client_order_id_of(client_order_id) for client_order_id in client_ids]  # before cancelling any
        acks: List[dict] = []
        for order_id in order_ids:
            self.exchange.cancel_order(account.sub_account_id, order_id=order_id, reason=enums.CLIENT_REPLACE
                                       if orders else enums.CLIENT_CANCEL)
            acks.append({"ack": True})
        for client_order_id in client_ids:
            self.exchange.cancel_order(account.sub_account_id, client_order_id=client_order_id,
                                       reason=enums.CLIENT_REPLACE if orders else enums.CLIENT_CANCEL,
                                       time_to_live_ms=ttl)
            acks.append({"ack": True})
        placed: List[dict] = []
        created = []
        try:
            for raw_order in orders:
                acknowledged, digest = self._accept_order(session, raw_order)
                if acknowledged is None:
                    acknowledged = dict(raw_order, order_id="0x00")
                else:
                    created.append((acknowledged["sub_account_id"], acknowledged["metadata"]["client_order_id"],
                                    digest))
                placed.append(acknowledged)
        except GrvtApiError:
            for sub_account_id, client_order_id, digest in created:  # all or nothing: withdraw what it placed
                self.exchange.cancel_order(sub_account_id, client_order_id=client_order_id)
                self.replay_guard.discard(digest)
            raise
        return {"orders": placed, "cancel_acks": acks}

    def cancel_on_disconnect(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        countdown = optional_uint(body, "countdown_time")
        countdown = countdown or 0
        if countdown > MAX_COUNTDOWN_MS:
            raise GrvtApiError(6000)
        self.exchange.set_cancel_on_disconnect(account.sub_account_id, countdown)
        return {"result": {"ack": True}}

    # ------------------------------------------------------------------ order queries
    def get_order(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        order_id, client_order_id = order_reference(body)
        order = self.exchange.find_order(account.sub_account_id, order_id, client_order_id)
        if order is None:
            raise GrvtApiError(1004)
        return {"result": encoding.order_json(order)}

    def open_orders(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        accept = instrument_filter(body)
        orders = sorted((order for order in account.open_orders.values() if accept(order.instrument)),
                        key=lambda order: order.create_time, reverse=True)
        return {"result": [encoding.order_json(order) for order in orders]}

    def order_history(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        accept = instrument_filter(body)
        return history_page(account.order_history, body, encoding.order_json, lambda order: accept(order.instrument))

    def fill_history(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        accept = instrument_filter(body)
        return history_page(account.fill_history, body, encoding.fill_json, lambda fill: accept(fill.instrument))

    def funding_payment_history(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        accept = instrument_filter(body)
        instrument = optional_str(body, "instrument")
        if instrument is not None and instrument not in self.exchange.instruments:
            raise GrvtApiError(3000)
        return history_page(account.funding_history, body, encoding.funding_payment_json,
                            lambda payment: accept(payment.instrument) and (
                                instrument is None or payment.instrument.name == instrument))

    # ------------------------------------------------------------------ account
    def positions(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        accept = instrument_filter(body)
        now = self.exchange.now_ns()
        equity = self.exchange.margin(account).total_equity
        return {"result": [encoding.position_json(position, self.exchange, now, equity)
                           for position in account.positions.values()
                           if position.size and accept(position.instrument)]}

    def account_summary(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        return {"result": encoding.account_summary_json(account, self.exchange, self.exchange.now_ns())}

    def get_all_initial_leverage(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        return {"results": [encoding.leverage_json(account, instrument) for instrument in self.exchange.instruments]}

    def set_initial_leverage(self, session: Session, body: dict) -> dict:
        account = self._account(session, require_dict(body))
        instrument = body.get("instrument")
        if not isinstance(instrument, str) or instrument not in self.exchange.instruments:
            raise GrvtApiError(3000)
        self.exchange.set_initial_leverage(account.sub_account_id, instrument, body.get("leverage"))
        return {"success": True}

    def get_sub_accounts(self, session: Session, body: dict) -> dict:
        return {"sub_account_ids": sorted(session.sub_account_ids)}
