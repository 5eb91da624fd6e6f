"""Data entry: subjects, visits, records, and the validation of every value."""
