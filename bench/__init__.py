"""`make bench`: a deterministic year-sized clinic, timed where it matters, each figure next to its floor.

- `bench.data` builds the data (bulk inserts, COPY on PostgreSQL) from a fixed seed;
- `bench.floor` runs the adherence report's own SQL statement (`patients.adherence_sql`) on a raw cursor: the
  floor of the API's time;
- `bench.load` runs gunicorn and a small keep-alive load generator;
- `bench.sweep` times the nightly sweep through a real Celery worker (or eagerly) and the engine alone;
- `bench.runner` measures, compares with the targets of issue 8, prints the table and writes the JSON.

Run it with `make bench` or `manage.py bench --scale S --runs N --out bench-results.json`.
"""
