"""Thin HTTP layer, one file per resource: parse, call a service, shape the answer."""
