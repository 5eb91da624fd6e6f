"""The database goes away: requests get a 503 JSON error, nothing half-saved, and the same app
recovers by itself when the database is back (no restart)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_settings
from tests.support.client import ApiClient
from tests.support.tcpproxy import TcpProxy


@pytest.fixture
def proxied(database, seeded):
    if not database.startswith("postgresql"):
        pytest.skip("an outage of an embedded SQLite file is not a network event; run with --db=postgresql")
    host, port = re.search(r"@([\d.]+):(\d+)/", database).groups()
    proxy = TcpProxy(host, int(port))
    proxy.start()
    from ecrf.app import create_app

    app = create_app(make_settings(database.replace(f":{port}/", f":{proxy.port}/")), testing=True)
    yield app, proxy, ApiClient(app.test_client(), token=seeded["coord_a"])
    proxy.stop()
    app.extensions["ecrf.engine"].dispose()


def test_outage_is_503_and_the_app_recovers(proxied):
    app, proxy, client = proxied
    assert client.get("/health/ready").status_code == 200
    before = client.get("/studies/ESCC-N3/subjects").json["total"]
    proxy.stop()
    ready = client.get("/health/ready")
    assert ready.status_code == 503 and ready.json["code"] == 503
    assert client.get("/health").status_code == 200  # liveness does not need the database
    write = client.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": "2026-01-05"})
    assert write.status_code == 503
    assert "Traceback" not in write.get_data(as_text=True) and "psycopg" not in write.get_data(as_text=True)
    proxy.start()
    assert client.get("/health/ready").status_code == 200
    assert client.get("/studies/ESCC-N3/subjects").json["total"] == before  # the refused write left nothing
    assert client.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": "2026-01-05"}
                       ).status_code == 201
