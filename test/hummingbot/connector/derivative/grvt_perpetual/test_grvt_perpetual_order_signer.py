import random
import threading
import unittest
from decimal import Decimal
from typing import Any, Dict, Tuple

from Crypto.Hash import keccak
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys import keys
from pysdk.grvt_raw_base import GrvtApiConfig
from pysdk.grvt_raw_env import GrvtEnv
from pysdk.grvt_raw_signing import sign_order as sdk_sign_order
from pysdk.grvt_raw_types import (
    Currency,
    Instrument,
    InstrumentSettlementPeriod,
    Kind,
    Order,
    OrderLeg,
    OrderMetadata,
    Signature,
    TimeInForce,
    Venue,
)

from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_signer import (
    _STRUCT_HASHERS,
    GrvtPerpetualOrderSigner,
    domain_separator,
    eip712_domain,
    eip712_types,
    encode_type,
    keccak256,
    order_message,
    time_in_force_value,
)

TEST_VECTOR_KEY = "c0663ca94684aead40c41a1cb3a94b68a24296e87245be3a186e882a29a15ee0"  # noqa: mock
TEST_VECTOR_ADDRESS = "0xee2060eECaC18beC7F8F670D751801294911E445"
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
UINT64_MAX = (1 << 64) - 1
SDK_ENVS = {325: GrvtEnv.PROD, 326: GrvtEnv.TESTNET, 327: GrvtEnv.DEV}


def vector_order(**overrides) -> Dict[str, Any]:
    fields = dict(
        sub_account_id="8289849667772468", is_market=False, time_in_force=1, post_only=False, reduce_only=False,
        instrument_hash="0x030501", size=Decimal("1.013"), price=Decimal("68900.5"), is_buy=False,
        base_decimals=9, nonce=828700936, expiration_ns=1730800479321350000)
    fields.update(overrides)
    return fields


def eth_account_signature(private_key: str, chain_id: int, fields: Dict[str, Any]) -> Tuple[str, str, int]:
    """The reference path: eth_account's generic EIP-712 encoder with the connector's order layout."""
    signed = Account.from_key(private_key).sign_message(
        encode_typed_data(eip712_domain(chain_id), eip712_types(), order_message(**fields)))
    return "0x" + signed.r.to_bytes(32, "big").hex(), "0x" + signed.s.to_bytes(32, "big").hex(), signed.v


class GrvtSdkOracle:
    """Signs through grvt-pysdk's sign_order with its own dataclasses, the way SDK users call it."""

    def __init__(self):
        self._accounts: Dict[str, Any] = {}

    def sign(self, private_key: str, chain_id: int, sub_account_id: int, is_market: bool, time_in_force: TimeInForce,
             post_only: bool, reduce_only: bool, instrument_hash: str, size: str, price: str, is_buy: bool,
             base_decimals: int, nonce: int, expiration_ns: int) -> Signature:
        account = self._accounts.get(private_key)
        if account is None:
            account = self._accounts[private_key] = Account.from_key(private_key)
        instrument = Instrument(
            instrument="BTC_USDT_Perp", instrument_hash=instrument_hash, base=Currency.BTC, quote=Currency.USDT,
            kind=Kind.PERPETUAL, venues=[Venue.ORDERBOOK], settlement_period=InstrumentSettlementPeriod.PERPETUAL,
            base_decimals=base_decimals, quote_decimals=6, tick_size="0.1", min_size="0.001",
            create_time="1768040726362828205", max_position_size="1000.0")
        order = Order(
            sub_account_id=str(sub_account_id),
            time_in_force=time_in_force,
            legs=[OrderLeg(instrument="BTC_USDT_Perp", size=size, is_buying_asset=is_buy,
                           limit_price="0" if is_market else price)],
            signature=Signature(signer="", r="", s="", v=0, expiration=str(expiration_ns), nonce=nonce),
            metadata=OrderMetadata(client_order_id="9223372036854775809"),
            is_market=is_market,
            post_only=post_only,
            reduce_only=reduce_only,
        )
        config = GrvtApiConfig(env=SDK_ENVS[chain_id], trading_account_id=str(sub_account_id),
                               private_key=private_key, api_key=None, logger=None)
        return sdk_sign_order(order, config, account, {"BTC_USDT_Perp": instrument}).signature


def decimal_text(scaled: int, decimals: int, extra_digits: str = "") -> str:
    """The decimal string of scaled * 10^-decimals, followed by digits that truncation must drop."""
    digits = str(scaled)
    if decimals == 0:
        return digits + ("." + extra_digits if extra_digits else "")
    digits = digits.rjust(decimals + 1, "0")
    return f"{digits[:-decimals]}.{digits[-decimals:]}{extra_digits}"


class GrvtPerpetualOrderSignerTestVectorTests(unittest.TestCase):

    def setUp(self):
        self.signer = GrvtPerpetualOrderSigner(TEST_VECTOR_KEY, chain_id=326)

    def test_type_hashes_match_the_protocol(self):
        self.assertEqual("b4b857ba9641f20a7c4007c73e548a2ee5afb7207744cc41fa7849451419bbb2",
                         keccak256(encode_type("Order").encode()).hex())
        self.assertEqual("20ed567ee868ba6c2d788ecc7da6568438d9eb05e6205aef0c3151c341e476c6",
                         keccak256(encode_type("OrderLeg").encode()).hex())

    def test_type_strings_are_the_protocol_layout(self):
        leg = "OrderLeg(uint256 assetID,uint64 contractSize,uint64 limitPrice,bool isBuyingContract)"
        self.assertEqual("Order(uint64 subAccountID,bool isMarket,uint8 timeInForce,bool postOnly,bool reduceOnly,"
                         "OrderLeg[] legs,uint32 nonce,int64 expiration)" + leg, encode_type("Order"))
        self.assertEqual(leg, encode_type("OrderLeg"))
        self.assertEqual(["Order", "OrderLeg"], list(eip712_types()))

    def test_domain_separators_per_chain_id(self):
        self.assertEqual("72fe716bb0105cb5a449731f4eb044bed644eb0d796360108a39c47064e17247",
                         domain_separator(325).hex())
        self.assertEqual("1254f97f8495f704630a238cbcd898a4b8ab20d77bb93e17049d3445f4f81f16",
                         domain_separator(326).hex())
        self.assertEqual("9c0a7c5bf881e6a6b24d160ca414969805f47b4d1484e059376ae9bbb9a0d047",
                         domain_separator(327).hex())

    def test_protocol_test_vector(self):
        order = vector_order()
        self.assertEqual("41650c08ab6e720f899307d7c2b4381a10c1301888375cec2dfefd6a583859eb",
                         _STRUCT_HASHERS["Order"](order_message(**order)).hex())
        self.assertEqual("03cb7ca7b353969ab2c00ff92fd472f81f59a84d28fa1aa39128176f21062982",
                         self.signer.order_digest(**order).hex())
        signature = self.signer.sign_order(**order)
        self.assertEqual(14615867946748605809126568669694142791729730263440553623296112010401671344650,
                         int(signature["r"], 16))
        self.assertEqual(41758084966111141828834491248882149351523023670747687501271185591898818786045,
                         int(signature["s"], 16))
        self.assertEqual(28, signature["v"])
        self.assertEqual(TEST_VECTOR_ADDRESS, signature["signer"])
        self.assertEqual("1730800479321350000", signature["expiration"])
        self.assertEqual(828700936, signature["nonce"])
        self.assertEqual("326", signature["chain_id"])

    def test_truncation_of_extra_decimals_matches_protocol_notes(self):
        def leg(size, price):
            return order_message(**vector_order(size=size, price=price, base_decimals=9))["legs"][0]

        self.assertEqual(1123123123, leg("1.1231231234", "1")["contractSize"])
        self.assertEqual(68900777123479, leg("1", "68900.7771234794")["limitPrice"])
        self.assertEqual(0, leg("1", Decimal("0.0000000009"))["limitPrice"])

    def test_signature_encoding(self):
        signature = self.signer.sign_order(**vector_order(nonce=1))
        for part in ("r", "s"):
            self.assertRegex(signature[part], r"^0x[0-9a-f]{64}$")
        self.assertIn(signature["v"], (27, 28))
        self.assertLessEqual(int(signature["s"], 16), SECP256K1_ORDER // 2)
        self.assertIsInstance(signature["nonce"], int)
        self.assertIsInstance(signature["expiration"], str)

    def test_signature_recovers_the_signer(self):
        fields = vector_order(nonce=77, is_buy=True)
        digest = self.signer.order_digest(**fields)
        signature = self.signer.sign_order(**fields)
        recovered = keys.Signature(vrs=(signature["v"] - 27, int(signature["r"], 16), int(signature["s"], 16)))
        self.assertEqual(TEST_VECTOR_ADDRESS, recovered.recover_public_key_from_msg_hash(digest).to_checksum_address())


class GrvtPerpetualOrderSignerInputTests(unittest.TestCase):

    def setUp(self):
        self.signer = GrvtPerpetualOrderSigner("0x" + TEST_VECTOR_KEY, chain_id=325)

    def test_accepts_0x_prefixed_key_and_exposes_address(self):
        self.assertEqual(TEST_VECTOR_ADDRESS, self.signer.address)
        self.assertEqual("325", self.signer.sign_order(**vector_order())["chain_id"])

    def test_empty_key_constructs_but_refuses_to_sign(self):
        for empty in ("", None, "   "):
            signer = GrvtPerpetualOrderSigner(empty, chain_id=325)
            self.assertIsNone(signer.address)
            self.assertEqual(32, len(signer.order_digest(**vector_order())))
            with self.assertRaisesRegex(ValueError, "private key is not configured"):
                signer.sign_order(**vector_order())

    def test_invalid_key_error_does_not_echo_the_key(self):
        bad_keys = ["zz" * 32, "ab" * 31, "00" * 32, "ff" * 32]  # noqa: mock
        for bad_key in bad_keys:
            with self.assertRaises(ValueError) as context:
                GrvtPerpetualOrderSigner(bad_key, chain_id=325)
            self.assertNotIn(bad_key, str(context.exception))
            self.assertIsNone(context.exception.__cause__)

    def test_repr_has_no_secret(self):
        text = repr(self.signer)
        self.assertIn(TEST_VECTOR_ADDRESS, text)
        self.assertNotIn(TEST_VECTOR_KEY, text)
        self.assertNotIn(TEST_VECTOR_KEY, str(self.signer))

    def test_time_in_force_by_name_or_value(self):
        by_name = self.signer.order_digest(**vector_order(time_in_force="IMMEDIATE_OR_CANCEL"))
        by_value = self.signer.order_digest(**vector_order(time_in_force=3))
        self.assertEqual(by_name, by_value)
        for invalid in ("GTC", 0, 6, None, True):
            with self.assertRaises(ValueError):
                self.signer.order_digest(**vector_order(time_in_force=invalid))

    def test_instrument_hash_forms_are_equivalent(self):
        as_hex = self.signer.order_digest(**vector_order(instrument_hash="0x030501"))
        self.assertEqual(as_hex, self.signer.order_digest(**vector_order(instrument_hash=0x030501)))
        self.assertEqual(as_hex, self.signer.order_digest(**vector_order(instrument_hash=str(0x030501))))
        self.assertEqual(as_hex, self.signer.order_digest(**vector_order(instrument_hash="0X030501")))
        with self.assertRaises(ValueError):
            self.signer.order_digest(**vector_order(instrument_hash="BTC_USDT_Perp"))
        with self.assertRaises(ValueError):
            self.signer.order_digest(**vector_order(instrument_hash=1 << 256))

    def test_number_forms_are_equivalent(self):
        reference = self.signer.order_digest(**vector_order())
        self.assertEqual(reference, self.signer.order_digest(**vector_order(size="1.013", price="68900.5")))
        self.assertEqual(reference, self.signer.order_digest(**vector_order(sub_account_id=8289849667772468)))
        self.assertEqual(reference, self.signer.order_digest(**vector_order(
            expiration_ns="1730800479321350000")))
        self.assertEqual(reference, self.signer.order_digest(**vector_order(base_decimals="9")))

    def test_market_orders_sign_a_zero_price(self):
        with_price = self.signer.order_digest(**vector_order(is_market=True, price=Decimal("68900.5")))
        zero_price = self.signer.order_digest(**vector_order(is_market=True, price=Decimal("0")))
        self.assertEqual(with_price, zero_price)
        self.assertNotEqual(zero_price, self.signer.order_digest(**vector_order(is_market=False, price=0)))

    def test_out_of_range_values_are_rejected(self):
        invalid_fields = [
            dict(size=Decimal("-0.001")),
            dict(size=Decimal(UINT64_MAX + 1).scaleb(-9)),
            dict(price=Decimal("-1")),
            dict(price=Decimal(UINT64_MAX + 1).scaleb(-9)),
            dict(nonce=-1),
            dict(nonce=1 << 32),
            dict(expiration_ns=1 << 63),
            dict(expiration_ns=-(1 << 63) - 1),
            dict(sub_account_id=1 << 64),
            dict(sub_account_id=-1),
            dict(sub_account_id="12a"),
            dict(size=Decimal("NaN")),
            dict(size=Decimal("Infinity")),
            dict(price="abc"),
            dict(size=1.5),
            dict(price=True),
        ]
        for fields in invalid_fields:
            with self.subTest(fields=fields):
                with self.assertRaises(ValueError):
                    self.signer.sign_order(**vector_order(**fields))

    def test_edge_values_are_accepted(self):
        for fields in (dict(size=Decimal(UINT64_MAX).scaleb(-9), price=Decimal(UINT64_MAX).scaleb(-9)),
                       dict(nonce=0), dict(nonce=(1 << 32) - 1), dict(expiration_ns=(1 << 63) - 1),
                       dict(expiration_ns=-(1 << 63)), dict(sub_account_id=UINT64_MAX), dict(size=0, price=0)):
            with self.subTest(fields=fields):
                expected = eth_account_signature(TEST_VECTOR_KEY, 325, vector_order(**fields))
                signature = self.signer.sign_order(**vector_order(**fields))
                self.assertEqual(expected, (signature["r"], signature["s"], signature["v"]))

    def test_retail_price_improvement_matches_eth_account(self):
        fields = vector_order(time_in_force="RETAIL_PRICE_IMPROVEMENT", post_only=True)
        signature = self.signer.sign_order(**fields)
        self.assertEqual(eth_account_signature(TEST_VECTOR_KEY, 325, fields),
                         (signature["r"], signature["s"], signature["v"]))

    def test_new_nonce_is_uint32(self):
        nonces = {GrvtPerpetualOrderSigner.new_nonce() for _ in range(100)}
        self.assertTrue(all(0 <= nonce < 1 << 32 for nonce in nonces))
        self.assertGreater(len(nonces), 90)


class GrvtKeccakTests(unittest.TestCase):

    def test_keccak_matches_known_digests_and_pycryptodome(self):
        self.assertEqual("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",  # noqa: mock
                         keccak256(b"").hex())
        rng = random.Random(3)
        for length in list(range(0, 300, 7)) + [135, 136, 137, 1000]:
            data = rng.randbytes(length)
            self.assertEqual(keccak.new(data=data, digest_bits=256).digest(), keccak256(data))

    def test_keccak_from_several_threads(self):
        results = []
        data = b"per-thread"

        def worker():
            results.extend(keccak256(data) for _ in range(100))

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual({keccak.new(data=data, digest_bits=256).digest()}, set(results))
        self.assertEqual(400, len(results))


class GrvtPerpetualOrderSignerSdkEquivalenceTests(unittest.TestCase):
    """Property test: our signatures are byte-identical to grvt-pysdk's sign_order over random orders."""

    ORDERS = 3000
    SDK_TIME_IN_FORCE = list(TimeInForce)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.oracle = GrvtSdkOracle()
        rng = random.Random(20260922)
        cls.keys = [TEST_VECTOR_KEY] + [
            rng.randrange(1, SECP256K1_ORDER).to_bytes(32, "big").hex() for _ in range(3)]
        cls.signers = {(key, chain): GrvtPerpetualOrderSigner(key, chain_id=chain)
                       for key in cls.keys for chain in SDK_ENVS}

    def random_scaled(self, rng: random.Random) -> int:
        regime = rng.random()
        if regime < 0.1:
            return UINT64_MAX - rng.randint(0, 1000)
        if regime < 0.2:
            return rng.randint(0, 1000)
        if regime < 0.3:
            return rng.randint(0, UINT64_MAX)
        return rng.randint(1, 10 ** rng.randint(2, 15))

    def random_extra_digits(self, rng: random.Random) -> str:
        if rng.random() < 0.5:
            return ""
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 12)))

    def compare(self, key: str, chain_id: int, fields: Dict[str, Any], sdk_tif: TimeInForce):
        ours_error = sdk_error = None
        ours = sdk = None
        try:
            ours = self.signers[(key, chain_id)].sign_order(**fields)
        except ValueError as error:
            ours_error = error
        try:
            sdk = self.oracle.sign(private_key=key, chain_id=chain_id, time_in_force=sdk_tif,
                                   size=str(fields["size"]), price=str(fields["price"]),
                                   **{name: value for name, value in fields.items()
                                      if name not in ("time_in_force", "size", "price")})
        except Exception as error:  # eth_abi refuses values that overflow their EIP-712 type
            sdk_error = error
        self.assertEqual(ours_error is None, sdk_error is None,
                         f"ours={ours_error!r} sdk={sdk_error!r} for {fields}")
        if ours is not None:
            self.assertEqual((sdk.r, sdk.s, sdk.v, sdk.signer), (ours["r"], ours["s"], ours["v"], ours["signer"]),
                             f"signature mismatch for {fields}")

    def test_random_orders_match_sdk(self):
        rng = random.Random(8046)
        hashes = ["0x030501", "0x030401", "0x030601", "0x032201", hex(rng.getrandbits(256)), "0x01"]
        for _ in range(self.ORDERS):
            sdk_tif = rng.choice(self.SDK_TIME_IN_FORCE)
            base_decimals = rng.choice([0, 1, 3, 6, 8, 9, 9, 9, 12, 18])
            is_market = rng.random() < 0.15
            fields = dict(
                sub_account_id=rng.choice([8289849667772468, UINT64_MAX, 0, rng.getrandbits(64)]),
                is_market=is_market,
                time_in_force=rng.choice([sdk_tif.value, time_in_force_value(sdk_tif.value)]),
                post_only=rng.random() < 0.5,
                reduce_only=rng.random() < 0.3,
                instrument_hash=rng.choice(hashes),
                size=Decimal(decimal_text(self.random_scaled(rng), base_decimals, self.random_extra_digits(rng))),
                price=Decimal(decimal_text(self.random_scaled(rng), 9, self.random_extra_digits(rng))),
                is_buy=rng.random() < 0.5,
                base_decimals=base_decimals,
                nonce=rng.choice([0, (1 << 32) - 1, rng.getrandbits(32)]),
                expiration_ns=rng.choice([1730800479321350000, (1 << 63) - 1, rng.getrandbits(63),
                                          -rng.getrandbits(63)]),
            )
            self.compare(rng.choice(self.keys), rng.choice(list(SDK_ENVS)), fields, sdk_tif)

    def test_edge_orders_match_sdk(self):
        base = vector_order()
        edges = [
            dict(size=Decimal(UINT64_MAX).scaleb(-9), price=Decimal(UINT64_MAX).scaleb(-9)),
            dict(size=Decimal(decimal_text(UINT64_MAX, 9, "999999999999"))),  # rounds up past uint64 in both
            dict(size=Decimal("0.000000001"), price=Decimal("0.000000001")),
            dict(size=Decimal("0.0000000009"), price=Decimal("0.0000000009")),
            dict(size=Decimal("1E+3"), price=Decimal("6.89005E+4")),
            dict(size=Decimal("123.456"), base_decimals=0),
            dict(is_market=True, price=Decimal("0")),
            dict(is_market=True, post_only=True, reduce_only=True),
        ]
        for overrides in edges:
            with self.subTest(overrides=overrides):
                fields = dict(base, **overrides)
                self.compare(TEST_VECTOR_KEY, 326, fields, TimeInForce.GOOD_TILL_TIME)


if __name__ == "__main__":
    unittest.main()
