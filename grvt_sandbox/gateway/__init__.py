"""GRVT's gateways: HTTP (edge login, trading and market-data routes), WebSocket streams and JSON-RPC, admin."""
