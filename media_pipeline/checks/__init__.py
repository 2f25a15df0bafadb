"""Asset checks: the library's integrity, on each asset's "Asset checks" row in the UI."""
