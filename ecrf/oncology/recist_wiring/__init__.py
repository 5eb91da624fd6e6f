"""RECIST 1.1 wired into data entry: form records -> engine -> stored derivations and queries.

``mapping`` and ``serialize`` are pure (unit-tested without the app); ``service`` recomputes a
subject when its assessments change (a record-changed listener); ``presenter`` builds the
``GET /subjects/{id}/recist`` answer from the stored derivations. Rules: docs/recist.md.
"""
