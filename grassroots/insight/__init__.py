"""Insight (研判预警 · 考评): KPIs from summary tables kept current as cases change,
dashboards for leaders, and early warnings raised by scans in the task queue."""
