"""Doorstep: the open backend for door-to-door canvassing."""
