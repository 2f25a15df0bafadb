"""The job system on Dagster: instance, library partitions, run tags, progress and run status."""
