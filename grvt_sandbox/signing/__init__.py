"""EIP-712 order hashing and signer recovery (libsecp256k1 through coincurve)."""
from grvt_sandbox.signing.eip712 import OrderSigningFields, domain_separator, order_digest, recover_signer
from grvt_sandbox.signing.verifier import SignatureVerifier

__all__ = ["OrderSigningFields", "SignatureVerifier", "domain_separator", "order_digest", "recover_signer"]
