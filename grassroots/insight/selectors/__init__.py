"""Reads of insight: ``assessment`` (kpi), ``dashboard`` (the dashboard helper). Every
read goes through ``core.scope`` and the rollup tables, never the case table."""
