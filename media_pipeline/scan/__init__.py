"""Finding files: the folder walk, content hashing and the incremental scan of a library."""
