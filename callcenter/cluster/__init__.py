"""Several backend nodes on one PostgreSQL: who leads (`leadership`), and what lets a node
act and write (`fence`)."""
