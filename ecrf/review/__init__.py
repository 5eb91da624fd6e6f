"""Review and lifecycle: source data verification, e-signatures, locks, findings, CRF version migration."""
