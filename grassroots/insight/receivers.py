"""Keeps the summary tables current: listens to ``cases.signals.case_changed``."""
