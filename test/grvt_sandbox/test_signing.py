"""EIP-712 order hashes and signature checks, against grvt-pysdk's signer (eth_account) as the oracle."""
import random
import time

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from pysdk import grvt_raw_types as types
from pysdk.grvt_raw_base import GrvtApiConfig
from pysdk.grvt_raw_env import GrvtEnv
from pysdk.grvt_raw_signing import EIP712_ORDER_MESSAGE_TYPE, sign_order

from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.signing.eip712 import (
    ORDER_TYPEHASH,
    OrderSigningFields,
    domain_separator,
    order_digest,
    order_struct_hash,
    recover_signer,
    sign_digest,
)
from grvt_sandbox.signing.verifier import SignatureVerifier
from test.grvt_sandbox.sandbox_helpers import DEMO_PRIVATE_KEY

SIGNER = "0xee2060eecac18bec7f8f670d751801294911e445"
VECTOR = OrderSigningFields(8289849667772468, False, 1, False, False, ((0x030501, 1013000000, 68900500000000, False),),
                            828700936, 1730800479321350000)


def test_published_test_vector():
    assert domain_separator(326).hex() == "1254f97f8495f704630a238cbcd898a4b8ab20d77bb93e17049d3445f4f81f16"
    assert domain_separator(325).hex() == "72fe716bb0105cb5a449731f4eb044bed644eb0d796360108a39c47064e17247"
    assert ORDER_TYPEHASH.hex() == "b4b857ba9641f20a7c4007c73e548a2ee5afb7207744cc41fa7849451419bbb2"
    assert order_struct_hash(VECTOR).hex() == "41650c08ab6e720f899307d7c2b4381a10c1301888375cec2dfefd6a583859eb"
    digest = order_digest(VECTOR, 326)
    assert digest.hex() == "03cb7ca7b353969ab2c00ff92fd472f81f59a84d28fa1aa39128176f21062982"
    r = 14615867946748605809126568669694142791729730263440553623296112010401671344650
    s = 41758084966111141828834491248882149351523023670747687501271185591898818786045
    assert recover_signer(digest, r, s, 28) == SIGNER
    assert sign_digest(digest, bytes.fromhex(DEMO_PRIVATE_KEY)) == (r, s, 28)


@pytest.mark.parametrize("seed", range(5))
def test_digest_matches_eth_account_for_random_orders(seed):
    rng = random.Random(seed)
    fields = OrderSigningFields(
        rng.randrange(2 ** 64), rng.random() < 0.5, rng.choice((1, 3, 4)), rng.random() < 0.5, rng.random() < 0.5,
        ((rng.randrange(2 ** 24), rng.randrange(2 ** 64), rng.randrange(2 ** 64), rng.random() < 0.5),),
        rng.randrange(2 ** 32), rng.randrange(2 ** 62))
    message = {"subAccountID": fields.sub_account_id, "isMarket": fields.is_market,
               "timeInForce": fields.time_in_force, "postOnly": fields.post_only, "reduceOnly": fields.reduce_only,
               "legs": [{"assetID": a, "contractSize": c, "limitPrice": p, "isBuyingContract": b}
                        for a, c, p, b in fields.legs],
               "nonce": fields.nonce, "expiration": fields.expiration}
    signable = encode_typed_data({"name": "GRVT Exchange", "version": "0", "chainId": 325},
                                 EIP712_ORDER_MESSAGE_TYPE, message)
    signed = Account.from_key(DEMO_PRIVATE_KEY).sign_message(signable)
    assert recover_signer(order_digest(fields, 325), signed.r, signed.s, signed.v) == SIGNER


def test_sdk_sign_order_verifies_with_truncated_sizes_and_prices():
    instrument = types.Instrument(
        instrument="BTC_USDT_Perp", instrument_hash="0x030501", base=types.Currency.BTC, quote=types.Currency.USDT,
        kind=types.Kind.PERPETUAL, venues=[types.Venue.ORDERBOOK],
        settlement_period=types.InstrumentSettlementPeriod.PERPETUAL, base_decimals=9, quote_decimals=6,
        tick_size="0.1", min_size="0.001", create_time="0", max_position_size="1000")
    expiration = time.time_ns() + 3600 * 10 ** 9
    order = types.Order(
        sub_account_id="8289849667772468", time_in_force=types.TimeInForce.IMMEDIATE_OR_CANCEL,
        legs=[types.OrderLeg(instrument="BTC_USDT_Perp", size="1.1231231234", is_buying_asset=True,
                             limit_price="68900.7771234794")],
        signature=types.Signature(signer="", r="", s="", v=0, expiration=str(expiration), nonce=7),
        metadata=types.OrderMetadata(client_order_id="1"), is_market=False, post_only=False, reduce_only=True)
    config = GrvtApiConfig(env=GrvtEnv.TESTNET, trading_account_id=None, private_key=DEMO_PRIVATE_KEY, api_key=None,
                           logger=None)
    sign_order(order, config, Account.from_key(DEMO_PRIVATE_KEY), {"BTC_USDT_Perp": instrument})
    fields = OrderSigningFields(8289849667772468, False, 3, False, True,
                                ((0x030501, 1123123123, 68900777123479, True),), 7, expiration)
    verifier = SignatureVerifier(326, 30 * 86400 * 10 ** 9)
    signature = {"signer": order.signature.signer, "r": order.signature.r, "s": order.signature.s,
                 "v": order.signature.v}
    assert verifier.verify(signature, fields, time.time_ns())[0] == SIGNER


def signed(fields, chain_id=326, key=DEMO_PRIVATE_KEY):
    r, s, v = sign_digest(order_digest(fields, chain_id), bytes.fromhex(key))
    return {"signer": SIGNER, "r": f"0x{r:064x}", "s": f"0x{s:064x}", "v": v}


def fresh_fields(**changes):
    values = dict(sub_account_id=1, is_market=False, time_in_force=1, post_only=False, reduce_only=False,
                  legs=((0x030501, 10 ** 7, 9 * 10 ** 13, True),), nonce=5,
                  expiration=time.time_ns() + 60 * 10 ** 9)
    values.update(changes)
    return OrderSigningFields(**values)


def verify_code(signature, fields, verifier=None):
    verifier = verifier or SignatureVerifier(326, 30 * 86400 * 10 ** 9)
    with pytest.raises(GrvtApiError) as error:
        verifier.verify(signature, fields, time.time_ns())
    return error.value.code


def test_verifier_rejections():
    fields = fresh_fields()
    good = signed(fields)
    assert verify_code(dict(good, v=29), fields) == 2005
    assert verify_code(dict(good, v="x"), fields) == 2005
    assert verify_code(dict(good, r=good["r"][:-2]), fields) == 2006
    assert verify_code(dict(good, s="0x" + "g" * 64), fields) == 2006
    high_s = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141 - int(good["s"], 16)
    assert verify_code(dict(good, s=f"0x{high_s:064x}", v=55 - good["v"]), fields) == 2007
    assert verify_code(good, fresh_fields(nonce=6)) == 2002
    assert verify_code(signed(fields, chain_id=325), fields) == 2002
    assert verify_code(dict(good, chain_id="325"), fields) == 1012
    assert verify_code(signed(fresh_fields(expiration=time.time_ns() - 1)),
                       fresh_fields(expiration=time.time_ns() - 1)) == 2001
    far = fresh_fields(expiration=time.time_ns() + 31 * 86400 * 10 ** 9)
    assert verify_code(signed(far), far) == 2008
    signer, digest = SignatureVerifier(326, 30 * 86400 * 10 ** 9).verify(dict(good, chain_id="326"), fields,
                                                                         time.time_ns())
    assert signer == SIGNER and digest == order_digest(fields, 326)


def test_builder_orders_use_the_builder_type():
    plain = fresh_fields()
    with_builder = fresh_fields(builder=0x1234, builder_fee=10)
    assert order_digest(plain, 326) != order_digest(with_builder, 326)
    SignatureVerifier(326, 30 * 86400 * 10 ** 9).verify(signed(with_builder), with_builder, time.time_ns())
