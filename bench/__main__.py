"""``python -m bench``: every benchmark, SQLite and PostgreSQL (see bench/run.py)."""

import sys

from bench.run import main

sys.exit(main())
