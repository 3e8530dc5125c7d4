"""GRVT's EIP-712 order hash, computed directly from precomputed type hashes (no generic encoder)."""
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence, Tuple

import coincurve

try:  # pysha3 (safe-pysha3) is the fastest keccak; pycryptodome ships with eth-account
    from sha3 import keccak_256 as _keccak_256

    def keccak(data: bytes) -> bytes:
        return _keccak_256(data).digest()
except ImportError:  # pragma: no cover - depends on the environment
    from Crypto.Hash import keccak as _keccak

    def keccak(data: bytes) -> bytes:
        return _keccak.new(digest_bits=256, data=data).digest()

_LEG_TYPE = "OrderLeg(uint256 assetID,uint64 contractSize,uint64 limitPrice,bool isBuyingContract)"
ORDER_TYPEHASH = keccak(("Order(uint64 subAccountID,bool isMarket,uint8 timeInForce,bool postOnly,bool reduceOnly,"
                         "OrderLeg[] legs,uint32 nonce,int64 expiration)" + _LEG_TYPE).encode())
ORDER_WITH_BUILDER_TYPEHASH = keccak((
    "OrderWithBuilderFee(uint64 subAccountID,bool isMarket,uint8 timeInForce,bool postOnly,bool reduceOnly,"
    "OrderLeg[] legs,address builder,uint32 builderFee,uint32 nonce,int64 expiration)" + _LEG_TYPE).encode())
LEG_TYPEHASH = keccak(_LEG_TYPE.encode())
DOMAIN_TYPEHASH = keccak(b"EIP712Domain(string name,string version,uint256 chainId)")
_TRUE = (1).to_bytes(32, "big")
_FALSE = bytes(32)
_SECP256K1_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


@lru_cache(maxsize=16)
def domain_separator(chain_id: int) -> bytes:
    return keccak(DOMAIN_TYPEHASH + keccak(b"GRVT Exchange") + keccak(b"0") + chain_id.to_bytes(32, "big"))


@dataclass(frozen=True)
class OrderSigningFields:
    """The signed struct. legs: (asset_id, contract_size, limit_price, is_buying_contract)."""
    sub_account_id: int
    is_market: bool
    time_in_force: int
    post_only: bool
    reduce_only: bool
    legs: Sequence[Tuple[int, int, int, bool]]
    nonce: int
    expiration: int
    builder: int = 0  # non-zero address => OrderWithBuilderFee
    builder_fee: int = 0


def _uint(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _int(value: int) -> bytes:
    return value.to_bytes(32, "big", signed=True)


def order_struct_hash(fields: OrderSigningFields) -> bytes:
    leg_hashes = b"".join(
        keccak(LEG_TYPEHASH + _uint(asset) + _uint(size) + _uint(price) + (_TRUE if is_buy else _FALSE))
        for asset, size, price, is_buy in fields.legs)
    head = (_uint(fields.sub_account_id) + (_TRUE if fields.is_market else _FALSE) + _uint(fields.time_in_force)
            + (_TRUE if fields.post_only else _FALSE) + (_TRUE if fields.reduce_only else _FALSE)
            + keccak(leg_hashes))
    tail = _uint(fields.nonce) + _int(fields.expiration)
    if fields.builder:
        return keccak(ORDER_WITH_BUILDER_TYPEHASH + head + _uint(fields.builder) + _uint(fields.builder_fee) + tail)
    return keccak(ORDER_TYPEHASH + head + tail)


def order_digest(fields: OrderSigningFields, chain_id: int) -> bytes:
    return keccak(b"\x19\x01" + domain_separator(chain_id) + order_struct_hash(fields))


def is_low_s(s: int) -> bool:
    return s <= _SECP256K1_HALF_N


def recover_signer(digest: bytes, r: int, s: int, v: int) -> str:
    """Lowercase 0x address of the key that produced (r, s, v) over `digest`; raises ValueError if none."""
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((v - 27,))
    public_key = coincurve.PublicKey.from_signature_and_message(signature, digest, hasher=None)
    return "0x" + keccak(public_key.format(compressed=False)[1:])[-20:].hex()


def sign_digest(digest: bytes, private_key: bytes) -> Tuple[int, int, int]:
    """(r, s, v) for tests and benchmarks that need signed orders fast."""
    signature = coincurve.PrivateKey(private_key).sign_recoverable(digest, hasher=None)
    return int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64] + 27
