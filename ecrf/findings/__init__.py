"""Protocol deviation findings: out-of-window visits, missed visits, treatment deviations."""
