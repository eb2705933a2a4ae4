"""Data-sharing models (access requests, grants, the access log): filled in by the sharing
work; imported at the end of ``registry.models``."""
