"""Benchmarks of the eCRF service against a framework floor, on SQLite and PostgreSQL.

Run everything with ``make bench`` (or ``python -m bench``); see docs/performance.md.
"""
