"""Pages of the base database (see ``common`` for the rules every page follows):
``steward`` (overview, imports, review queue, merges), ``people`` (the golden record and
audited reveals), ``houses`` (以房管人: houses by building, a house, a visit)."""
