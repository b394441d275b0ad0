"""The multi-node mode: Celery workers over RabbitMQ, one elected scheduler, PostgreSQL shared.

`celery_app` builds the Celery application from `[cluster]`, `tasks` defines the work (each task
idempotent and reusing the single-process pipeline), `leader` elects the one active scheduler and
`scheduler` enqueues the work on time.
"""
