"""Several machines: the jobs' steps on Celery workers (dagster-celery, RabbitMQ), chosen by
configuration (executor.py), the worker's Celery app (celery_app.py) and its command
(worker.py). Without a broker configured nothing here is imported."""
