"""Study reports of the oncology endpoints (``GET /studies/{study}/reports/endpoints``).

``subjects`` and ``summary`` are pure (per-subject derivation, then KM/ORR/AE summaries over the
engine functions of ``ecrf.oncology.endpoints`` and ``ecrf.oncology.stats``); ``sources`` reads
the database; ``endpoints_report`` assembles the JSON; ``csv_export`` writes the per-subject CSV.
"""
