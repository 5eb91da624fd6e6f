"""The Part 11 audit trail: append-only, hash-chained, written in the changing transaction."""
