"""Auto-albums: group the catalog's photos into events, keep their ids stable, title them.

Pure logic on plain rows (no Dagster, no database) so the rules can be tested exhaustively with
generated libraries and reused by whichever asset feeds them.
"""
