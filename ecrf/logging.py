"""Structured JSON logs, one line per event, carrying the request id the audit trail also stores."""

from __future__ import annotations

import json
import logging
import os
import sys
import time

from flask import Flask, g, has_request_context, request


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            payload["request_id"] = g.get("request_id")
            payload["method"] = request.method
            payload["path"] = request.path
        for key in ("status", "duration_ms", "user_id"):
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def init_logging(app: Flask) -> None:
    logger = logging.getLogger("ecrf")
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    logger.setLevel(os.environ.get("ECRF_LOG_LEVEL", "INFO").upper())
    logger.propagate = False
    access = logging.getLogger("ecrf.access")

    @app.before_request
    def _clock():
        g.started = time.perf_counter()

    @app.after_request
    def _access_log(response):
        started = g.get("started")
        duration = round((time.perf_counter() - started) * 1000, 2) if started else None
        principal = g.get("principal")
        access.info("%s %s %s", request.method, request.path, response.status_code,
                    extra={"status": response.status_code, "duration_ms": duration,
                           "user_id": getattr(principal, "user_id", None)})
        return response
