"""
EIP-712 order signatures for GRVT, without eth_account's generic typed-data machinery.

The typed-data layout is fixed (one `Order` with one `OrderLeg`), so the type hashes and the domain separator are
computed once and each signature is a handful of 32-byte words packed by hand, four keccak-256 calls and one
libsecp256k1 recoverable signature (coincurve). The result is byte-identical to grvt-pysdk's `sign_order`:
size = int(Decimal(size) * 10**base_decimals), price = int(Decimal(price) * 1e9) (both truncating, in the current
decimal context like the SDK), RFC 6979 deterministic nonces and low-s signatures.
"""
import random
import threading
from decimal import Decimal
from typing import Any, Dict, Optional, Union

import coincurve

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS

NumberLike = Union[Decimal, str, int]


# ------------------------------------------------------------------------------------------------------------------
# keccak-256
# ------------------------------------------------------------------------------------------------------------------
def _portable_keccak256(data: bytes) -> bytes:
    from Crypto.Hash import keccak
    return keccak.new(data=data, digest_bits=256).digest()


class _RawKeccakState(threading.local):
    """
    One reusable pycryptodome keccak state per thread, driven through its cffi functions: a third of the cost of
    `keccak.new(...)`, which builds and frees several Python objects per hash.
    """

    def __init__(self):
        from Crypto.Hash import keccak
        from Crypto.Util import _raw_api

        self._lib = keccak._raw_keccak_lib
        ffi = _raw_api.ffi
        state_pointer = ffi.new("void **")
        if self._lib.keccak_init(state_pointer, 64, 24) != 0:  # capacity 512 bits = keccak-256, 24 rounds
            raise RuntimeError("keccak_init failed")
        self._state = ffi.gc(state_pointer[0], self._lib.keccak_destroy)
        self._out = ffi.new("uint8_t[32]")
        self._out_buffer = ffi.buffer(self._out)

    def hash(self, data: bytes) -> bytes:
        lib = self._lib
        lib.keccak_reset(self._state)
        lib.keccak_absorb(self._state, data, len(data))
        lib.keccak_digest(self._state, self._out, 32, 0x01)
        return self._out_buffer[:]


def _select_keccak256():
    try:
        state = _RawKeccakState()
        probe = b"GRVT keccak self-check"
        if state.hash(probe) == _portable_keccak256(probe) and state.hash(b"") == _portable_keccak256(b""):
            return state.hash
    except Exception:  # any pycryptodome build without the cffi backend uses the portable path
        pass
    return _portable_keccak256


keccak256 = _select_keccak256()

# ------------------------------------------------------------------------------------------------------------------
# EIP-712 constants
# ------------------------------------------------------------------------------------------------------------------
ORDER_LEG_TYPE = "OrderLeg(uint256 assetID,uint64 contractSize,uint64 limitPrice,bool isBuyingContract)"
ORDER_TYPE = (
    "Order(uint64 subAccountID,bool isMarket,uint8 timeInForce,bool postOnly,bool reduceOnly,OrderLeg[] legs,"
    "uint32 nonce,int64 expiration)" + ORDER_LEG_TYPE
)
ORDER_WITH_BUILDER_FEE_TYPE = (
    "OrderWithBuilderFee(uint64 subAccountID,bool isMarket,uint8 timeInForce,bool postOnly,bool reduceOnly,"
    "OrderLeg[] legs,address builder,uint32 builderFee,uint32 nonce,int64 expiration)" + ORDER_LEG_TYPE
)
EIP712_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId)"

ORDER_LEG_TYPE_HASH = keccak256(ORDER_LEG_TYPE.encode())
ORDER_TYPE_HASH = keccak256(ORDER_TYPE.encode())
ORDER_WITH_BUILDER_FEE_TYPE_HASH = keccak256(ORDER_WITH_BUILDER_FEE_TYPE.encode())
EIP712_DOMAIN_TYPE_HASH = keccak256(EIP712_DOMAIN_TYPE.encode())

BUILDER_FEE_SCALE = Decimal(10_000)  # builder_fee is a percentage string; "0.001" (%) signs as 10
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_WORD_FALSE = bytes(32)
_WORD_TRUE = (1).to_bytes(32, "big")
_PRICE_SCALE = CONSTANTS.PRICE_SCALE_DECIMAL
_ZERO_ADDRESS = "0x" + "00" * 20


def domain_separator(chain_id: int) -> bytes:
    """hashStruct(EIP712Domain{name: "GRVT Exchange", version: "0", chainId})."""
    return keccak256(
        EIP712_DOMAIN_TYPE_HASH
        + keccak256(CONSTANTS.EIP712_DOMAIN_NAME.encode())
        + keccak256(CONSTANTS.EIP712_DOMAIN_VERSION.encode())
        + int(chain_id).to_bytes(32, "big")
    )


def checksum_address(address_bytes: bytes) -> str:
    """EIP-55 mixed-case hex of a 20-byte address."""
    hex_address = address_bytes.hex()
    address_hash = keccak256(hex_address.encode()).hex()
    return "0x" + "".join(
        char.upper() if char.isalpha() and int(address_hash[index], 16) >= 8 else char
        for index, char in enumerate(hex_address)
    )


class GrvtSignerNotConfiguredError(ValueError):
    """Raised when an order must be signed but no private key was configured."""


def _uint(value: int, bits: int, name: str) -> int:
    if value < 0 or value >> bits:
        raise ValueError(f"{name} {value} does not fit in uint{bits}.")
    return value


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


def scaled_size(size: NumberLike, base_decimals: int) -> int:
    """contractSize: size in 10^-base_decimals base units, truncated."""
    return int(_to_decimal(size, "size") * Decimal(10 ** int(base_decimals)))


def scaled_price(price: NumberLike) -> int:
    """limitPrice: price in 1e-9 quote units, truncated."""
    return int(_to_decimal(price, "price") * _PRICE_SCALE)


class GrvtPerpetualOrderSigner:
    """
    Signs GRVT orders for one wallet and one chain id.

    Built with an empty private key it still constructs (Hummingbot creates non-trading connector instances with
    empty keys) and raises GrvtSignerNotConfiguredError when asked to sign. The key itself is never stored as
    text and never appears in a repr, a log line or an exception.
    """

    __slots__ = ("_private_key", "_address", "_chain_id", "_digest_prefix", "_asset_words", "_size_scales",
                 "_include_chain_id")

    def __init__(self, private_key: Optional[str], chain_id: int, include_chain_id: bool = True):
        self._chain_id = int(chain_id)
        self._digest_prefix = b"\x19\x01" + domain_separator(self._chain_id)
        self._asset_words: Dict[Any, bytes] = {}
        self._size_scales: Dict[int, Decimal] = {}
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

    # --------------------------------------------------------------------------------------------------------------
    def order_struct_hash(
        self,
        sub_account_id: Union[int, str],
        is_market: bool,
        time_in_force: Union[int, str],
        post_only: bool,
        reduce_only: bool,
        instrument_hash: Union[int, str],
        size: NumberLike,
        price: NumberLike,
        is_buy: bool,
        base_decimals: int,
        nonce: int,
        expiration_ns: Union[int, str],
        builder: Optional[str] = None,
        builder_fee: Optional[NumberLike] = None,
    ) -> bytes:
        """
        hashStruct of the order. Market orders are signed with limitPrice 0, the price their request must carry.
        With a non-zero `builder` address the OrderWithBuilderFee type is used, as GRVT requires.
        """
        size_scale = self._size_scales.get(base_decimals)
        if size_scale is None:
            size_scale = Decimal(10 ** int(base_decimals))
            self._size_scales[base_decimals] = size_scale
        contract_size = int(_to_decimal(size, "size") * size_scale)
        limit_price = 0 if is_market else int(_to_decimal(price, "price") * _PRICE_SCALE)

        asset_word = self._asset_words.get(instrument_hash)
        if asset_word is None:
            asset_id = _uint(_to_int(instrument_hash, "instrument_hash"), 256, "instrument_hash")
            asset_word = asset_id.to_bytes(32, "big")
            self._asset_words[instrument_hash] = asset_word

        leg_hash = keccak256(
            ORDER_LEG_TYPE_HASH
            + asset_word
            + _uint(contract_size, 64, "size").to_bytes(32, "big")
            + _uint(limit_price, 64, "price").to_bytes(32, "big")
            + (_WORD_TRUE if is_buy else _WORD_FALSE)
        )
        expiration = _to_int(expiration_ns, "expiration_ns")
        if not _INT64_MIN <= expiration <= _INT64_MAX:
            raise ValueError(f"expiration_ns {expiration} does not fit in int64.")
        head = (
            _uint(_to_int(sub_account_id, "sub_account_id"), 64, "sub_account_id").to_bytes(32, "big")
            + (_WORD_TRUE if is_market else _WORD_FALSE)
            + time_in_force_value(time_in_force).to_bytes(32, "big")
            + (_WORD_TRUE if post_only else _WORD_FALSE)
            + (_WORD_TRUE if reduce_only else _WORD_FALSE)
            + keccak256(leg_hash)  # legs: keccak of the concatenated leg hashes
        )
        tail = (
            _uint(nonce, 32, "nonce").to_bytes(32, "big")
            + expiration.to_bytes(32, "big", signed=True)
        )
        builder_address = self._builder_bytes(builder)
        if builder_address is None:
            return keccak256(ORDER_TYPE_HASH + head + tail)
        fee = int(_to_decimal(builder_fee if builder_fee is not None else 0, "builder_fee") * BUILDER_FEE_SCALE)
        return keccak256(
            ORDER_WITH_BUILDER_FEE_TYPE_HASH + head
            + builder_address.rjust(32, b"\x00")
            + _uint(fee, 32, "builder_fee").to_bytes(32, "big")
            + tail
        )

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

    def sign_order(
        self,
        sub_account_id: Union[int, str],
        is_market: bool,
        time_in_force: Union[int, str],
        post_only: bool,
        reduce_only: bool,
        instrument_hash: Union[int, str],
        size: NumberLike,
        price: NumberLike,
        is_buy: bool,
        base_decimals: int,
        nonce: int,
        expiration_ns: Union[int, str],
        builder: Optional[str] = None,
        builder_fee: Optional[NumberLike] = None,
    ) -> Dict[str, Any]:
        """
        The request's `signature` object: signer, r, s, v, expiration (ns string), nonce and chain_id (string).
        """
        if self._private_key is None:
            raise GrvtSignerNotConfiguredError("GRVT private key is not configured; orders cannot be signed.")
        struct_hash = self.order_struct_hash(
            sub_account_id=sub_account_id,
            is_market=is_market,
            time_in_force=time_in_force,
            post_only=post_only,
            reduce_only=reduce_only,
            instrument_hash=instrument_hash,
            size=size,
            price=price,
            is_buy=is_buy,
            base_decimals=base_decimals,
            nonce=nonce,
            expiration_ns=expiration_ns,
            builder=builder,
            builder_fee=builder_fee,
        )
        signature = self.sign_digest(keccak256(self._digest_prefix + struct_hash))
        signature["expiration"] = str(expiration_ns)
        signature["nonce"] = nonce
        if self._include_chain_id:
            signature["chain_id"] = str(self._chain_id)
        return signature

    @staticmethod
    def _builder_bytes(builder: Optional[str]) -> Optional[bytes]:
        """20 address bytes of a non-zero builder, None for no builder ("0x00", the zero address, empty)."""
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
        return value.to_bytes(20, "big")
