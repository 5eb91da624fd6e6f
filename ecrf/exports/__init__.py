"""Data leaving and entering the system: CDISC ODM 1.3.2 (metadata, snapshot and transactional
clinical data, import), CSV per form and an Excel workbook. See docs/exports.md for the mapping.
"""
