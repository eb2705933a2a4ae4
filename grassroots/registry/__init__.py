"""The base database (一库): people, houses, organisations and facilities, each field with its
source and date; department imports, entity resolution into golden records, and data sharing
with approval and an access log."""
