"""The operator's controls on Dagster's own mechanisms: pause and resume (pool limits), cancel
(the run coordinator, as the UI's Terminate), run priority and tags (the run coordinator's
submit), concurrency pools, and the status overview."""
