"""Queries (discrepancy management): manual and automatic, threaded, with a checked state machine."""
