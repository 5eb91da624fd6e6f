"""Health, the OpenAPI document, the offline docs page, the error shape, security headers."""

from __future__ import annotations


def test_health_and_readiness_need_no_login(anonymous):
    assert anonymous.get("/health").json == {"status": "ok"}
    assert anonymous.get("/health/ready").json == {"status": "ok", "database": "ok"}


def test_openapi_document_lists_the_contract_paths(anonymous):
    spec = anonymous.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    paths = set(spec["paths"])
    for path in ("/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/auth/me", "/api/v1/auth/tokens",
                 "/api/v1/auth/tokens/{token_id}", "/api/v1/studies", "/api/v1/studies/{study}",
                 "/api/v1/studies/{study}/schedule", "/api/v1/forms", "/api/v1/forms/{form_oid}/versions",
                 "/api/v1/forms/{form_oid}/versions/{version}", "/api/v1/audit", "/api/v1/audit/verify",
                 "/api/v1/health"):
        assert path in paths, path


def test_docs_page_is_served_offline_under_a_strict_csp(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html  # no CDN
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    for asset in ("/api/v1/docs/assets/swagger-ui-bundle.js", "/api/v1/docs/assets/swagger-ui.css",
                  "/api/v1/docs/static/docs-init.js"):
        response = client.get(asset)
        assert response.status_code == 200 and len(response.data) > 100, asset
        response.close()
    assert client.get("/api/v1/docs/assets/../../../etc/passwd").status_code == 404


def test_json_responses_carry_security_headers_and_request_id(anonymous):
    response = anonymous.get("/health", headers={"X-Request-ID": "client-req-00001"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Request-ID"] == "client-req-00001"
    assert anonymous.get("/health", headers={"X-Request-ID": "bad id!"}).headers["X-Request-ID"] != "bad id!"


def test_unknown_route_and_method_use_the_error_shape(coord_a):
    missing = coord_a.get("/no/such/route")
    assert missing.status_code == 404 and missing.json["code"] == 404
    wrong = coord_a.delete("/studies")
    assert wrong.status_code == 405 and wrong.json["code"] == 405
