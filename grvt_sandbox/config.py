"""Sandbox configuration: instruments, API keys with their sub-accounts and signers, timing and limits."""
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, List, Optional

from grvt_sandbox.instruments import InstrumentSpec, default_instrument_specs

DEMO_API_KEY = "grvt-sandbox-demo-key"
DEMO_SUB_ACCOUNT_ID = "8289849667772468"
DEMO_SIGNER = "0xee2060eECaC18beC7F8F670D751801294911E445"  # grvt-pysdk's public test-vector wallet
# Its signing key, published with grvt-pysdk's tests: it holds sandbox money only. Demo, tests and benchmarks use it.
DEMO_PRIVATE_KEY = "c0663ca94684aead40c41a1cb3a94b68a24296e87245be3a186e882a29a15ee0"  # noqa: mock


@dataclass
class AccountConfig:
    """A sub-account; with `api_key` set it can log in. `signers` are wallet addresses allowed to sign its
    orders; `read_only_signers` are known to the account but lack trade permission (error 1400)."""
    sub_account_id: str
    api_key: Optional[str] = field(default=None, repr=False)
    signers: List[str] = field(default_factory=list)
    read_only_signers: List[str] = field(default_factory=list)
    balance: Decimal = Decimal("100000")
    main_account_id: Optional[str] = None


def demo_account() -> AccountConfig:
    return AccountConfig(sub_account_id=DEMO_SUB_ACCOUNT_ID, api_key=DEMO_API_KEY, signers=[DEMO_SIGNER],
                         balance=Decimal("100000"), main_account_id=DEMO_SIGNER.lower())


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 0
    chain_id: int = 326
    instruments: List[InstrumentSpec] = field(default_factory=default_instrument_specs)
    accounts: List[AccountConfig] = field(default_factory=lambda: [demo_account()])
    session_ttl_s: float = 24 * 3600.0
    speed_bump_ms: float = 25.0  # GRVT delays non-post-only orders before matching
    max_open_orders: int = 500
    max_signature_duration_s: float = 30 * 24 * 3600.0
    max_bulk_orders: int = 100
    verify_signatures: bool = True
    cancel_ttl_default_ms: int = 100
    cancel_ttl_max_ms: int = 5000
    cancel_ttl_enabled: bool = True  # False: GRVT's switch-off, a cancel carrying a time-to-live gets 2300
    funding_period_s: Optional[float] = None  # overrides every instrument's interval (compressed time for demos)
    ws_send_queue_size: int = 4096  # a client further behind than this is disconnected
    tick_interval_s: float = 0.025  # timer resolution of the publishers, expiry and funding
    # v1.book.d snapshots in payloads of at most this many levels per side (the subscribe answer's num_snapshots
    # counts them; GRVT's spec allows several); 0 = the whole book in one payload
    book_snapshot_levels_per_payload: int = 0
    trade_log_size: int = 100_000
    history_size: int = 200_000  # per sub-account order/fill/funding histories
    market: bool = False  # start grvt_sandbox.market's synthetic market (if that package exists)
    market_seed: Optional[int] = None
    # route -> requests per second per account (gateway.rate_limits.DEFAULT_RATE_LIMITS is GRVT-like); None = off
    rate_limits: Optional[Dict[str, float]] = None
    # required as the X-Sandbox-Admin header's value on every /sandbox/ request when set (any value is accepted
    # on state-changing requests otherwise); needed when the sandbox listens beyond loopback
    admin_token: Optional[str] = field(default=None, repr=False)
