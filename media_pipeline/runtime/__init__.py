"""What runs rest on in Dagster: instance, library partitions, run tags, progress and run status."""
