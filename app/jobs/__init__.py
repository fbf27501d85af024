"""Durable jobs: imports queued in PostgreSQL by the API, run by `doorstep worker`.

The queue is procrastinate's (its tables come with the migrations). The API writes a job's row,
its upload and its queue entry in the request's transaction, so a job exists entirely or not
at all; a worker process picks it up, as many times as it takes (a restart of the API or of
the worker loses nothing), one job per campaign at a time.

Modules:
- `queue`: the queue's names and the SQL the API runs in its own transaction: defer a job,
  cancel it; the libpq conninfo of the database URL.
- `uploads`: uploaded files in PostgreSQL, in chunks: stored by the request, read by the job,
  deleted when the job ends, however it ends.
- `imports`: running one import job: its states, progress written while it runs, its
  ending (succeeded, failed, cancelled, or back in the queue for a retry).
- `tasks`: the procrastinate task and its retry strategy (a cap, exponential backoff).
- `worker`: the worker process: its own connection pools, stalled-job recovery, and
  `run_worker`, which `doorstep worker` and the tests call.
"""
