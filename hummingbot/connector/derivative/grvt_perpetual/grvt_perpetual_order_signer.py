"""
EIP-712 order signatures for GRVT, byte-identical to grvt-pysdk's ``sign_order`` without eth_account's generic
typed-data machinery: encoders compiled once from ``ORDER_TYPES``, RFC 6979 deterministic nonces and low-s signatures
(libsecp256k1 through coincurve), keccak-256 from pysha3.
"""
import random
from decimal import Decimal
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

import coincurve
from eth_utils import to_checksum_address
from sha3 import keccak_256

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtTimeInForce

NumberLike = Union[Decimal, str, int]
Fields = Tuple[Tuple[str, str], ...]


def keccak256(data: bytes) -> bytes:
    return keccak_256(data).digest()


ORDER_TYPES: Dict[str, Fields] = {
    "Order": (("subAccountID", "uint64"), ("isMarket", "bool"), ("timeInForce", "uint8"), ("postOnly", "bool"),
              ("reduceOnly", "bool"), ("legs", "OrderLeg[]"), ("nonce", "uint32"), ("expiration", "int64")),
    "OrderLeg": (("assetID", "uint256"), ("contractSize", "uint64"), ("limitPrice", "uint64"),
                 ("isBuyingContract", "bool")),
}
EIP712_DOMAIN_FIELDS: Fields = (("name", "string"), ("version", "string"), ("chainId", "uint256"))


def encode_type(name: str, fields: Optional[Fields] = None) -> str:
    """EIP-712 encodeType of an order type: the type, then the struct types it references (here only OrderLeg)."""
    fields = ORDER_TYPES[name] if fields is None else fields
    referenced = sorted(kind[:-2] for _, kind in fields if kind.endswith("[]"))
    return f"{name}({','.join(f'{kind} {field}' for field, kind in fields)})" + "".join(map(encode_type, referenced))


def eip712_types() -> Dict[str, list]:
    """The order types as eth_account's ``encode_typed_data`` takes them, for the reference tests compare with."""
    return {name: [{"name": field, "type": kind} for field, kind in fields] for name, fields in ORDER_TYPES.items()}


def eip712_domain(chain_id: int) -> Dict[str, Any]:
    return {"name": "GRVT Exchange", "version": "0", "chainId": chain_id}


def _decimal(value: NumberLike, name: str) -> Decimal:
    """A finite Decimal from a Decimal, an int or a decimal string (never a float or a bool)."""
    if type(value) in (int, str):
        try:
            value = Decimal(value)
        except ArithmeticError:
            pass
    if isinstance(value, Decimal) and value.is_finite():
        return value
    raise ValueError(f"{name} must be a finite Decimal, int or decimal string, got {value!r}.")


def _integer(value: Union[int, str], name: str) -> int:
    """An int from an int, a decimal string or a 0x-prefixed hex string (as EIP-712 encoders accept them)."""
    if type(value) is int:
        return value
    if type(value) is str:
        try:
            return int(value, 16) if value.lstrip()[:2] in ("0x", "0X") else int(value)
        except ValueError:
            pass
    raise ValueError(f"{name} must be an integer or an integer string, got {value!r}.")


# The uint8 each time in force is signed as (orders carry the name).
SIGNED_TIME_IN_FORCE: Dict[str, int] = {
    GrvtTimeInForce.GOOD_TILL_TIME: 1, GrvtTimeInForce.ALL_OR_NONE: 2, GrvtTimeInForce.IMMEDIATE_OR_CANCEL: 3,
    GrvtTimeInForce.FILL_OR_KILL: 4, GrvtTimeInForce.RETAIL_PRICE_IMPROVEMENT: 5,
}


def time_in_force_value(time_in_force: Union[int, str]) -> int:
    """Signed uint8 of a time in force given by name ('GOOD_TILL_TIME') or value (1)."""
    value = SIGNED_TIME_IN_FORCE.get(time_in_force) if isinstance(time_in_force, str) else time_in_force
    if type(value) is not int or value not in SIGNED_TIME_IN_FORCE.values():
        raise ValueError(f"Unknown time in force {time_in_force!r}.")
    return value


def order_message(
    sub_account_id: Union[int, str],
    is_market: bool,
    time_in_force: Union[int, str],
    post_only: bool,
    reduce_only: bool,
    instrument_hash: Union[int, str],
    size: NumberLike,
    price: NumberLike,
    is_buy: bool,
    base_decimals: Union[int, str],
    nonce: int,
    expiration_ns: Union[int, str],
) -> Dict[str, Any]:
    """
    The EIP-712 ``Order`` message of an order: size times 10**base_decimals, price times 1e9, both truncated in the
    current decimal context like the SDK. Market orders are signed with limitPrice 0, the price their request must
    carry. Values out of range are rejected when hashed.
    """
    return {
        "subAccountID": _integer(sub_account_id, "sub_account_id"),
        "isMarket": is_market,
        "timeInForce": time_in_force_value(time_in_force),
        "postOnly": post_only,
        "reduceOnly": reduce_only,
        "legs": [{
            "assetID": _integer(instrument_hash, "instrument_hash"),
            "contractSize": int(_decimal(size, "size").scaleb(_integer(base_decimals, "base_decimals"))),
            "limitPrice": 0 if is_market else int(_decimal(price, "price") * CONSTANTS.PRICE_SCALE_DECIMAL),
            "isBuyingContract": is_buy,
        }],
        "nonce": nonce,
        "expiration": _integer(expiration_ns, "expiration_ns"),
    }


# Hashing (EIP-712 hashStruct) with encoders compiled from the layout
_WORD_FALSE = bytes(32)
_WORD_TRUE = (1).to_bytes(32, "big")


def _encoder(field: str, kind: str) -> Callable[[Any], bytes]:
    if kind.endswith("[]"):
        struct_hash = _STRUCT_HASHERS[kind[:-2]]
        return lambda items: keccak256(b"".join([struct_hash(item) for item in items]))
    if kind == "bool":
        return lambda value: _WORD_TRUE if value else _WORD_FALSE
    if kind == "string":
        return lambda value: keccak256(value.encode())
    signed = kind.startswith("int")
    bits = int(kind[3 if signed else 4:])
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)

    def encode(value: int) -> bytes:
        if not low <= value <= high:
            raise ValueError(f"{field} {value} does not fit in {kind}.")
        return value.to_bytes(32, "big", signed=signed)
    return encode


def _struct_hasher(name: str, fields: Fields) -> Callable[[Mapping[str, Any]], bytes]:
    type_hash = keccak256(encode_type(name, fields).encode())
    encoders = tuple((field, _encoder(field, kind)) for field, kind in fields)

    def struct_hash(message: Mapping[str, Any]) -> bytes:
        return keccak256(type_hash + b"".join([encode(message[field]) for field, encode in encoders]))
    return struct_hash


_STRUCT_HASHERS: Dict[str, Callable[[Mapping[str, Any]], bytes]] = {}
for _name in ("OrderLeg", "Order"):  # referenced types first
    _STRUCT_HASHERS[_name] = _struct_hasher(_name, ORDER_TYPES[_name])
_hash_domain = _struct_hasher("EIP712Domain", EIP712_DOMAIN_FIELDS)


def domain_separator(chain_id: int) -> bytes:
    return _hash_domain(eip712_domain(int(chain_id)))


class GrvtPerpetualOrderSigner:
    """
    Signs GRVT orders for one wallet and one chain id. It is built without a key too: Hummingbot creates non-trading
    connector instances with empty keys. The key is never stored as text and never appears in a repr, a log line or
    an exception.
    """

    __slots__ = ("_private_key", "_address", "_chain_id", "_digest_prefix")

    def __init__(self, private_key: Optional[str], chain_id: int):
        self._chain_id = int(chain_id)
        self._digest_prefix = b"\x19\x01" + domain_separator(self._chain_id)
        self._private_key: Optional[coincurve.PrivateKey] = None
        self._address: Optional[str] = None
        key_text = (private_key or "").strip()
        if key_text:
            try:
                key_bytes = bytes.fromhex(key_text[2:] if key_text[:2].lower() == "0x" else key_text)
                if len(key_bytes) != 32:
                    raise ValueError
                self._private_key = coincurve.PrivateKey(key_bytes)
            except Exception:
                raise ValueError("Invalid GRVT private key: expected 32 bytes as 64 hex characters.") from None
            public_key = self._private_key.public_key.format(compressed=False)[1:]
            self._address = to_checksum_address(keccak256(public_key)[-20:])

    def __repr__(self) -> str:
        return f"GrvtPerpetualOrderSigner(address={self._address}, chain_id={self._chain_id})"

    @property
    def address(self) -> Optional[str]:
        """Checksummed signer address, None without a key."""
        return self._address

    @staticmethod
    def new_nonce() -> int:
        """A random uint32 nonce (GRVT drops an order whose payload and nonce repeat an earlier one)."""
        return random.getrandbits(32)

    def order_digest(self, **order_fields: Any) -> bytes:
        """keccak256(0x1901 || domainSeparator || hashStruct(order)) of the order given by ``order_message``'s
        arguments: the 32 bytes that get signed."""
        return keccak256(self._digest_prefix + _STRUCT_HASHERS["Order"](order_message(**order_fields)))

    def sign_order(self, **order_fields: Any) -> Dict[str, Any]:
        """The request's ``signature`` object (v 27/28, expiration in ns) of the order ``order_message`` describes."""
        if self._private_key is None:
            raise ValueError("GRVT private key is not configured; orders cannot be signed.")
        signature = self._private_key.sign_recoverable(self.order_digest(**order_fields), hasher=None)
        return {
            "signer": self._address,
            "r": "0x" + signature[:32].hex(),
            "s": "0x" + signature[32:64].hex(),
            "v": signature[64] + 27,
            "expiration": str(order_fields["expiration_ns"]),
            "nonce": order_fields["nonce"],
            "chain_id": str(self._chain_id),
        }
