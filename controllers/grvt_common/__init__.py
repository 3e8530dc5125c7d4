"""What the GRVT controllers share: pricing, market signals, kill switch, PnL, latency, order handling, grid layout,
status lines, and the conversion of V1 strategy files. Not a controller type of its own."""
