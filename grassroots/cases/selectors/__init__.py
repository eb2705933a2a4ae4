"""Reads of the closed loop: ``public`` (redacted tracking) and ``staff`` (scoped inboxes)."""
