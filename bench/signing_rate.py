"""
Order-signing throughput: our GrvtPerpetualOrderSigner against the eth_account path the upstream connector and
grvt-pysdk use (encode_typed_data + Account.sign_message).

    .venv/bin/python bench/signing_rate.py [--orders 5000] [--repeats 5]

Prints orders per second (best of `repeats` runs) and the ratio. Every path signs the same orders and the script
checks that the signatures are identical before timing anything.
"""
import argparse
import random
import time
from decimal import Decimal
from typing import Callable, Dict, List

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from grvt_sandbox.config import DEMO_PRIVATE_KEY
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_signer import (
    GrvtPerpetualOrderSigner,
    eip712_domain,
    eip712_types,
    order_message,
)

CHAIN_ID = 326


def random_orders(count: int, seed: int = 7) -> List[Dict]:
    rng = random.Random(seed)
    orders = []
    for _ in range(count):
        orders.append(dict(
            sub_account_id=8289849667772468,
            is_market=False,
            time_in_force=rng.choice((1, 3, 4)),
            post_only=rng.random() < 0.5,
            reduce_only=rng.random() < 0.2,
            instrument_hash="0x030501",
            size=Decimal(rng.randint(1, 10_000)) / Decimal(1000),
            price=Decimal(rng.randint(500_000, 1_500_000)) / Decimal(10),
            is_buy=rng.random() < 0.5,
            base_decimals=9,
            nonce=rng.getrandbits(32),
            expiration_ns=1_800_000_000_000_000_000 + rng.randint(0, 10**12),
        ))
    return orders


def sign_with_eth_account(account: LocalAccount, order: Dict) -> Dict:
    """The generic path: the connector's order layout and message handed to eth_account's typed-data encoder."""
    signed = account.sign_message(encode_typed_data(eip712_domain(CHAIN_ID), eip712_types(), order_message(**order)))
    return {"r": "0x" + signed.r.to_bytes(32, "big").hex(), "s": "0x" + signed.s.to_bytes(32, "big").hex(),
            "v": signed.v}


def rate(sign: Callable[[Dict], Dict], orders: List[Dict], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for order in orders:
            sign(order)
        best = min(best, time.perf_counter() - start)
    return len(orders) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    orders = random_orders(args.orders)
    signer = GrvtPerpetualOrderSigner(DEMO_PRIVATE_KEY, chain_id=CHAIN_ID)
    account = Account.from_key(DEMO_PRIVATE_KEY)

    for order in orders[:200]:
        ours = signer.sign_order(**order)
        theirs = sign_with_eth_account(account, order)
        if (ours["r"], ours["s"], ours["v"]) != (theirs["r"], theirs["s"], theirs["v"]):
            raise SystemExit(f"Signature mismatch for {order}")

    ours_rate = rate(lambda order: signer.sign_order(**order), orders, args.repeats)
    eth_orders = orders[:max(1, args.orders // 10)]  # the slow path needs fewer samples for a stable rate
    eth_rate = rate(lambda order: sign_with_eth_account(account, order), eth_orders, args.repeats)
    print(f"GrvtPerpetualOrderSigner : {ours_rate:10,.0f} orders/s ({1e6 / ours_rate:7.1f} us/order)")
    print(f"eth_account typed data   : {eth_rate:10,.0f} orders/s ({1e6 / eth_rate:7.1f} us/order)")
    print(f"speed-up                 : {ours_rate / eth_rate:10.1f} x")


if __name__ == "__main__":
    main()
