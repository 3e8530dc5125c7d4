"""
EIP-712 order signatures for GRVT, without eth_account's generic typed-data machinery.

This module is the one definition of GRVT's order layout: the ``Order`` / ``OrderWithBuilderFee`` / ``OrderLeg``
types (``ORDER_TYPES``) and how an order's fields become their values (``order_message``). The signer hashes that
message with encoders compiled once from the same types; tests and benchmarks hand the same types and message to
eth_account as a reference. The result is byte-identical to grvt-pysdk's ``sign_order``:
size = int(Decimal(size) * 10**base_decimals), price = int(Decimal(price) * 1e9) (both truncating, in the current
decimal context like the SDK), RFC 6979 deterministic nonces and low-s signatures (libsecp256k1 through coincurve),
keccak-256 from pysha3.
"""
import random
from decimal import Decimal
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

import coincurve
from sha3 import keccak_256

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS

NumberLike = Union[Decimal, str, int]
Fields = Tuple[Tuple[str, str], ...]


def keccak256(data: bytes) -> bytes:
    return keccak_256(data).digest()


# ------------------------------------------------------------------------------------------------------------------
# The order layout
# ------------------------------------------------------------------------------------------------------------------
ORDER_PRIMARY_TYPE = "Order"
ORDER_WITH_BUILDER_FEE_PRIMARY_TYPE = "OrderWithBuilderFee"
_ORDER_HEAD: Fields = (
    ("subAccountID", "uint64"), ("isMarket", "bool"), ("timeInForce", "uint8"), ("postOnly", "bool"),
    ("reduceOnly", "bool"), ("legs", "OrderLeg[]"))
_ORDER_TAIL: Fields = (("nonce", "uint32"), ("expiration", "int64"))
ORDER_TYPES: Dict[str, Fields] = {
    ORDER_PRIMARY_TYPE: _ORDER_HEAD + _ORDER_TAIL,
    ORDER_WITH_BUILDER_FEE_PRIMARY_TYPE: _ORDER_HEAD + (("builder", "address"), ("builderFee", "uint32")) + _ORDER_TAIL,
    "OrderLeg": (("assetID", "uint256"), ("contractSize", "uint64"), ("limitPrice", "uint64"),
                 ("isBuyingContract", "bool")),
}
EIP712_DOMAIN_FIELDS: Fields = (("name", "string"), ("version", "string"), ("chainId", "uint256"))
BUILDER_FEE_SCALE = Decimal(10_000)  # builder_fee is a percentage string; "0.001" (%) signs as 10


def encode_type(primary_type: str) -> str:
    """EIP-712 encodeType: the primary type, then the struct types it references (here only OrderLeg)."""
    def one(name: str, fields: Fields) -> str:
        return f"{name}({','.join(f'{kind} {field}' for field, kind in fields)})"
    referenced = sorted({kind[:-2] for _, kind in ORDER_TYPES[primary_type] if kind.endswith("[]")})
    return one(primary_type, ORDER_TYPES[primary_type]) + "".join(one(name, ORDER_TYPES[name]) for name in referenced)


def eip712_types(primary_type: str) -> Dict[str, list]:
    """The types as eth_account's ``encode_typed_data`` takes them."""
    names = [primary_type] + sorted({kind[:-2] for _, kind in ORDER_TYPES[primary_type] if kind.endswith("[]")})
    return {name: [{"name": field, "type": kind} for field, kind in ORDER_TYPES[name]] for name in names}


def eip712_domain(chain_id: int) -> Dict[str, Any]:
    return {"name": CONSTANTS.EIP712_DOMAIN_NAME, "version": CONSTANTS.EIP712_DOMAIN_VERSION, "chainId": chain_id}


class GrvtSignerNotConfiguredError(ValueError):
    """Raised when an order must be signed but no private key was configured."""


def _to_decimal(value: NumberLike, name: str) -> Decimal:
    if isinstance(value, Decimal):
        if value.is_finite():
            return value
    elif isinstance(value, (int, str)) and not isinstance(value, bool):
        try:
            number = Decimal(value)
        except ArithmeticError:
            number = None
        if number is not None and number.is_finite():
            return number
    raise ValueError(f"{name} must be a finite Decimal, int or decimal string, got {value!r}.")


def _to_int(value: Union[int, str], name: str) -> int:
    """int, decimal string or 0x-prefixed hex string (as EIP-712 encoders accept them)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 16) if text[:2].lower() == "0x" else int(text, 10)
        except ValueError:
            pass
    raise ValueError(f"{name} must be an integer or an integer string, got {value!r}.")


def time_in_force_value(time_in_force: Union[int, str]) -> int:
    """Signed uint8 of a time in force given by name ('GOOD_TILL_TIME') or value (1)."""
    if isinstance(time_in_force, str):
        value = CONSTANTS.TIME_IN_FORCE_VALUES.get(time_in_force)
        if value is None:
            raise ValueError(f"Unknown time in force '{time_in_force}'.")
        return value
    if isinstance(time_in_force, int) and not isinstance(time_in_force, bool) \
            and time_in_force in CONSTANTS.TIME_IN_FORCE_NAMES:
        return time_in_force
    raise ValueError(f"Unknown time in force {time_in_force!r}.")


def scaled_size(size: NumberLike, base_decimals: Union[int, str]) -> int:
    """contractSize: size in 10^-base_decimals base units, truncated."""
    return int(_to_decimal(size, "size") * _size_scale(int(base_decimals)))


def scaled_price(price: NumberLike) -> int:
    """limitPrice: price in 1e-9 quote units, truncated."""
    return int(_to_decimal(price, "price") * CONSTANTS.PRICE_SCALE_DECIMAL)


_SIZE_SCALES: Dict[int, Decimal] = {}
_ASSET_IDS: Dict[str, int] = {}


def _asset_id(instrument_hash: Union[int, str]) -> int:
    """assetID of an instrument hash ("0x030501"); the few instruments' parsed hashes are kept."""
    asset_id = _ASSET_IDS.get(instrument_hash) if type(instrument_hash) is str else None
    if asset_id is None:
        asset_id = _to_int(instrument_hash, "instrument_hash")
        if type(instrument_hash) is str and len(_ASSET_IDS) < 4096:
            _ASSET_IDS[instrument_hash] = asset_id
    return asset_id


def _size_scale(base_decimals: int) -> Decimal:
    scale = _SIZE_SCALES.get(base_decimals)
    if scale is None:
        scale = _SIZE_SCALES[base_decimals] = Decimal(10 ** base_decimals)
    return scale


def builder_address(builder: Optional[str]) -> Optional[str]:
    """Lower-case 0x address of a non-zero builder, None for no builder ("0x00", the zero address, empty)."""
    if not builder:
        return None
    text = builder[2:] if builder[:2].lower() == "0x" else builder
    try:
        value = int(text, 16) if text else 0
    except ValueError:
        raise ValueError(f"Invalid builder address {builder!r}.") from None
    if value == 0:
        return None
    if len(text) != 40:
        raise ValueError(f"Invalid builder address {builder!r}: expected 20 bytes.")
    return "0x" + text.lower()


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
    builder: Optional[str] = None,
    builder_fee: Optional[NumberLike] = None,
) -> Tuple[str, Dict[str, Any]]:
    """
    The primary type and the EIP-712 message of an order. Market orders are signed with limitPrice 0, the price
    their request must carry. With a non-zero ``builder`` address the OrderWithBuilderFee type is used, as GRVT
    requires. Values out of their type's range are rejected when the message is hashed.
    """
    message = {
        "subAccountID": _to_int(sub_account_id, "sub_account_id"),
        "isMarket": is_market,
        "timeInForce": time_in_force_value(time_in_force),
        "postOnly": post_only,
        "reduceOnly": reduce_only,
        "legs": [{
            "assetID": _asset_id(instrument_hash),
            "contractSize": scaled_size(size, base_decimals),
            "limitPrice": 0 if is_market else scaled_price(price),
            "isBuyingContract": is_buy,
        }],
        "nonce": nonce,
        "expiration": _to_int(expiration_ns, "expiration_ns"),
    }
    address = builder_address(builder)
    if address is None:
        return ORDER_PRIMARY_TYPE, message
    message["builder"] = address
    message["builderFee"] = int(_to_decimal(builder_fee if builder_fee is not None else 0, "builder_fee")
                                * BUILDER_FEE_SCALE)
    return ORDER_WITH_BUILDER_FEE_PRIMARY_TYPE, message


# ------------------------------------------------------------------------------------------------------------------
# Hashing (EIP-712 hashStruct) with encoders compiled from the layout
# ------------------------------------------------------------------------------------------------------------------
_WORD_FALSE = bytes(32)
_WORD_TRUE = (1).to_bytes(32, "big")
Encoder = Callable[[Any], bytes]


def _unsigned_encoder(field: str, bits: int) -> Encoder:
    def encode(value: int) -> bytes:
        if value < 0 or value >> bits:
            raise ValueError(f"{field} {value} does not fit in uint{bits}.")
        return value.to_bytes(32, "big")
    return encode


def _signed_encoder(field: str, bits: int) -> Encoder:
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

    def encode(value: int) -> bytes:
        if not low <= value <= high:
            raise ValueError(f"{field} {value} does not fit in int{bits}.")
        return value.to_bytes(32, "big", signed=True)
    return encode


def _bool_word(value: bool) -> bytes:
    return _WORD_TRUE if value else _WORD_FALSE


def _address_word(value: str) -> bytes:
    return bytes.fromhex(value[2:]).rjust(32, b"\x00")


def _string_word(value: str) -> bytes:
    return keccak256(value.encode())


def _encoder(field: str, kind: str) -> Encoder:
    if kind.endswith("[]"):
        struct_hash = _STRUCT_HASHERS[kind[:-2]]
        return lambda items: keccak256(b"".join([struct_hash(item) for item in items]))
    if kind.startswith("uint"):
        return _unsigned_encoder(field, int(kind[4:]))
    if kind.startswith("int"):
        return _signed_encoder(field, int(kind[3:]))
    return {"bool": _bool_word, "address": _address_word, "string": _string_word}[kind]


def _struct_hasher(type_hash: bytes, fields: Fields) -> Callable[[Mapping[str, Any]], bytes]:
    encoders = tuple((field, _encoder(field, kind)) for field, kind in fields)

    def struct_hash(message: Mapping[str, Any]) -> bytes:
        return keccak256(type_hash + b"".join([encode(message[field]) for field, encode in encoders]))
    return struct_hash


_STRUCT_HASHERS: Dict[str, Callable[[Mapping[str, Any]], bytes]] = {}
for _name in sorted(ORDER_TYPES, key=lambda name: name != "OrderLeg"):  # referenced types first
    _STRUCT_HASHERS[_name] = _struct_hasher(keccak256(encode_type(_name).encode()), ORDER_TYPES[_name])
EIP712_DOMAIN_TYPE = "EIP712Domain(" + ",".join(f"{kind} {field}" for field, kind in EIP712_DOMAIN_FIELDS) + ")"
_hash_domain = _struct_hasher(keccak256(EIP712_DOMAIN_TYPE.encode()), EIP712_DOMAIN_FIELDS)


def struct_hash(primary_type: str, message: Mapping[str, Any]) -> bytes:
    """EIP-712 hashStruct of a message of one of ``ORDER_TYPES``."""
    return _STRUCT_HASHERS[primary_type](message)


def type_hash(primary_type: str) -> bytes:
    return keccak256(encode_type(primary_type).encode())


def domain_separator(chain_id: int) -> bytes:
    """hashStruct(EIP712Domain{name: "GRVT Exchange", version: "0", chainId})."""
    return _hash_domain(eip712_domain(int(chain_id)))


def checksum_address(address_bytes: bytes) -> str:
    """EIP-55 mixed-case hex of a 20-byte address."""
    hex_address = address_bytes.hex()
    address_hash = keccak256(hex_address.encode()).hex()
    return "0x" + "".join(
        char.upper() if char.isalpha() and int(address_hash[index], 16) >= 8 else char
        for index, char in enumerate(hex_address)
    )


class GrvtPerpetualOrderSigner:
    """
    Signs GRVT orders for one wallet and one chain id.

    Built with an empty private key it still constructs (Hummingbot creates non-trading connector instances with
    empty keys) and raises GrvtSignerNotConfiguredError when asked to sign. The key itself is never stored as
    text and never appears in a repr, a log line or an exception.
    """

    __slots__ = ("_private_key", "_address", "_chain_id", "_digest_prefix", "_include_chain_id")

    def __init__(self, private_key: Optional[str], chain_id: int, include_chain_id: bool = True):
        self._chain_id = int(chain_id)
        self._digest_prefix = b"\x19\x01" + domain_separator(self._chain_id)
        self._include_chain_id = include_chain_id
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
            self._address = checksum_address(keccak256(public_key)[-20:])

    def __repr__(self) -> str:
        return f"GrvtPerpetualOrderSigner(address={self._address}, chain_id={self._chain_id})"

    @property
    def is_configured(self) -> bool:
        return self._private_key is not None

    @property
    def address(self) -> Optional[str]:
        """Checksummed signer address, None without a key."""
        return self._address

    @property
    def chain_id(self) -> int:
        return self._chain_id

    @property
    def domain_separator(self) -> bytes:
        return self._digest_prefix[2:]

    @staticmethod
    def new_nonce() -> int:
        """A random uint32 nonce (GRVT drops an order whose payload and nonce repeat an earlier one)."""
        return random.getrandbits(32)

    def order_struct_hash(self, **order_fields) -> bytes:
        """hashStruct of the order given by ``order_message``'s arguments."""
        return struct_hash(*order_message(**order_fields))

    def order_digest(self, **order_fields) -> bytes:
        """keccak256(0x1901 || domainSeparator || hashStruct(order)): the 32 bytes that get signed."""
        return keccak256(self._digest_prefix + self.order_struct_hash(**order_fields))

    def sign_digest(self, digest: bytes) -> Dict[str, Any]:
        """r, s ("0x" + 64 hex), v (27/28) and signer of a 32-byte digest."""
        if self._private_key is None:
            raise GrvtSignerNotConfiguredError("GRVT private key is not configured; orders cannot be signed.")
        signature = self._private_key.sign_recoverable(digest, hasher=None)
        return {
            "signer": self._address,
            "r": "0x" + signature[:32].hex(),
            "s": "0x" + signature[32:64].hex(),
            "v": signature[64] + 27,
        }

    def sign_order(self, **order_fields) -> Dict[str, Any]:
        """
        The request's ``signature`` object of the order given by ``order_message``'s arguments: signer, r, s, v,
        expiration (ns string), nonce and chain_id (string).
        """
        if self._private_key is None:
            raise GrvtSignerNotConfiguredError("GRVT private key is not configured; orders cannot be signed.")
        signature = self.sign_digest(keccak256(self._digest_prefix + self.order_struct_hash(**order_fields)))
        signature["expiration"] = str(order_fields["expiration_ns"])
        signature["nonce"] = order_fields["nonce"]
        if self._include_chain_id:
            signature["chain_id"] = str(self._chain_id)
        return signature
