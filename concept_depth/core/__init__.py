"""The engine's foundations, used by every layer above: frozen specs and their stable hashes,
errors meant for the user, progress events, file hashes and the cache root."""
