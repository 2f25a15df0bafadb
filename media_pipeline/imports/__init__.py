"""Import folders: files arriving in one library move into another by a storage template."""
