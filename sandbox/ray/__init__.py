"""The Ray backend: one warm Docker pool per node, requests spread over them (needs the ray extra)."""
