"""Observability: what an operator watches on canvass day (issue 12, section 5).

- `metrics`: the Prometheus registry: request latency per route, sync items by status, the
  database pool, import jobs; rendered by `GET /metrics` (behind `METRICS_TOKEN`).
- `request_log`: one JSON log line per request (request id, route, status, duration,
  campaign), never a query string or anything else a person typed.
- `health`: `/healthz` (the process answers) and `/readyz` (the database answers and its schema
  is at the code's migration head).
"""
