"""Per-file stages of a library done in batches: the runner (runner.py: what a stage declares
and the loop every stage shares), the graph that makes a stage an asset of batch steps
(graph.py) and the crash-proof worker pool (pool.py)."""
