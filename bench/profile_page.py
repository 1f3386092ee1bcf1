"""Profile one page in-process with pyinstrument, against a database bench/run.py kept.

    .venv/bin/python bench/run.py --sizes mid --keep ...   # leaves bench_mid behind
    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/profile_page.py /schedule/ --database bench_mid
    .venv/bin/python bench/profile_page.py /schedule/staff/machines/1/queue/ --user manager1

Requests go through Django's test client (the whole middleware stack, no
daphne), logged in as --user; the first few are left out as warm-up. Prints
the median time per request and pyinstrument's call tree.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="e.g. /schedule/")
    parser.add_argument("--database", default="bench_mid")
    parser.add_argument("--user", default="member0001", help="member0001… or manager1")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    os.environ["DATABASE_URL"] = f"{server.rsplit('/', 1)[0]}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    for name, value in {"SECRET_KEY": "bench-profile", "DJANGO_DEBUG": "false",
                        "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "false",
                        "STATIC_MANIFEST": "false", "LOG_LEVEL": "WARNING"}.items():  # fmt: skip
        os.environ.setdefault(name, value)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from pyinstrument import Profiler

    client = Client()
    client.force_login(get_user_model().objects.get(username=args.user))
    for _ in range(5):
        status = client.get(args.path).status_code
    if status != 200:
        raise SystemExit(f"{args.path} answered {status} for {args.user}")
    profiler, took = Profiler(interval=0.0005), []
    with profiler:
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(args.path)
            took.append(time.perf_counter() - started)
    print(f"{args.path}: median {statistics.median(took) * 1000:.1f} ms (profiled)")
    print(profiler.output_text(unicode=True, color=False))


if __name__ == "__main__":
    main()
