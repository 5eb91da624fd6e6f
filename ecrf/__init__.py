"""eCRF backend for oncology trials: versioned CRF definitions, validated entry, Part 11 audit trail.

The application factory lives in :mod:`ecrf.app`; this package stays import-light so that the
pure rule modules (``ecrf.rules``, ``ecrf.oncology``) can be used without Flask.
"""

__version__ = "0.1.0"
