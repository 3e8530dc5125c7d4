"""GRVT error codes, their HTTP statuses and messages, and the exception the sandbox raises with them."""
from typing import Dict, Tuple

# code -> (HTTP status, message), exactly as GRVT's API specification lists them.
ERRORS: Dict[int, Tuple[int, str]] = {
    1000: (401, "You need to authenticate prior to using this functionality"),
    1001: (403, "You are not authorized to access this functionality"),
    1002: (500, "Internal Server Error"),
    1003: (400, "Request could not be processed due to malformed syntax"),
    1004: (404, "Data Not Found"),
    1005: (500, "Unknown Error"),
    1006: (429, "You have surpassed the allocated rate limit for your tier"),
    1008: (401, "Your IP has not been whitelisted for access"),
    1009: (503, "We are temporarily deactivating this API endpoint, please try again later"),
    1012: (400, "Invalid signature chain ID"),
    1101: (400, "Feed Format must be in the format of <primary>@<secondary>"),
    1102: (400, "Wrong number of primary selectors"),
    1103: (400, "Wrong number of secondary selectors"),
    1400: (403, "Signer does not have trade permission"),
    2000: (403, "Signature is from an unauthorized signer"),
    2001: (403, "Signature has expired"),
    2002: (403, "Signature does not match payload"),
    2003: (403, "Order sub account does not match logged in user"),
    2004: (403, "Signature is from an expired session key"),
    2005: (403, "Signature V must be 27/28"),
    2006: (403, "Signature R/S must have exactly 64 characters long without 0x prefix"),
    2007: (403, "Signature S must be in the lower half of the curve"),
    2008: (403, "Signature exceeds maximum allowed duration."),
    2010: (400, "Order ID should be empty when creating an order"),
    2011: (400, "Client Order ID should be supplied when creating an order"),
    2012: (400, "Client Order ID overlaps with existing active order"),
    2020: (400, "Market Order must always be supplied without a limit price"),
    2021: (400, "Limit Order must always be supplied with a limit price"),
    2030: (400, "Orderbook Orders must have a TimeInForce of GTT/IOC/FOK"),
    2032: (400, "Post Only can only be set to true for GTT/AON orders"),
    2040: (400, "Order must contain at least one leg"),
    2042: (400, "Orderbook Orders must contain only one leg"),
    2050: (400, "Order state must be empty upon creation"),
    2060: (400, "Order Legs contain one or more inactive derivative"),
    2061: (400, "Unsupported Instrument Requested"),
    2062: (400, "Order size smaller than min size"),
    2064: (400, "Invalid limit price tick"),
    2065: (400, "Order size too granular"),
    2066: (400, "Order below minimum notional. Please try again with a higher price or size."),
    2067: (400, "Order below minimum notional. Please try reducing your position again with a higher price or size."),
    2080: (400, "Insufficient margin to create order"),
    2081: (400, "Order Fill would result in exceeding maximum position size"),
    2082: (400, "Pre-order check failed"),
    2090: (429, "Max open orders exceeded"),
    2100: (400, "Invalid initial leverage"),
    2107: (400, "Attempted to set leverage below minimum"),
    2108: (400, "Attempted to set leverage above maximum"),
    2112: (400, "Invalid trigger order"),
    2233: (400, "Both order ID and client order ID cannot be provided"),
    2234: (400, "Bulk create orders must have the same instrument"),
    2235: (400, "Bulk orders count exceeds the maximum allowed"),
    2300: (400, "Order cancel time-to-live settings currently disabled."),
    2301: (400, "Order cancel time-to-live exceeds maximum allowed value."),
    2400: (400, "Reduce only order with no position"),
    2401: (400, "Reduce only order must not increase position size"),
    2402: (400, "Reduce only order size exceeds maximum allowed value"),
    3000: (400, "Instrument is invalid"),
    3011: (400, "Limit exceeds min or max value"),
    3013: (400, "Exact limit value is not supported"),
    3020: (400, "Sub account ID must be an uint64 integer"),
    3021: (400, "Either order ID or client order ID must be supplied"),
    3030: (400, "Feed rate is invalid"),
    3031: (400, "Depth is invalid"),
    3040: (400, "Candlestick interval is invalid"),
    3041: (400, "Candlestick type is invalid"),
    6000: (400, "Countdown time is bigger than 300s supported"),
}


class GrvtApiError(Exception):
    """An error GRVT answers with `{"code", "message", "status"}` (REST) or a JSON-RPC `error` (WebSocket)."""

    def __init__(self, code: int, detail: str = ""):
        status, message = ERRORS.get(code, (400, "Unknown Error"))
        super().__init__(f"{code} {message}" + (f" ({detail})" if detail else ""))
        self.code = code
        self.status = status
        self.message = message
        self.detail = detail

    def to_envelope(self) -> dict:
        return {"code": self.code, "message": self.message, "status": self.status}

    def to_rpc_error(self) -> dict:
        return {"code": self.code, "message": self.message}
