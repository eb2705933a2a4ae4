"""The demo generator: a realistic district (or city) planned from a seed.

- ``plan.plan_tree`` plans the tree in memory (codes, names, polygons, population);
- ``geometry`` has the outline and exact-tiling functions the plan uses;
- ``accounts`` plans departments and staff accounts; ``credentials`` writes and prints
  ``var/demo-credentials.json``;
- ``build.build_demo`` writes a plan to the database (``grassroots.demo.services.demo_build``).
"""
