"""The site's own settings for benchmark runs, plus what only a benchmark needs.

daphne is started with DJANGO_SETTINGS_MODULE=bench.settings (bench/run.py
does this), so the site's URLconf and settings files stay untouched:

- bench.urls adds the trivial floor view beside the site's own URLs;
- bench.middleware.QueryCountMiddleware answers X-Query-Count when a request
  asks for it (the runner asks once per page, never during a timed run);
- scheduled work stays out of the timings, and the generated members may hold
  as many entries as the dataset gives them.
"""

from mysite.settings import *  # noqa: F403
from mysite.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
# Outermost, so the session, user and profile reads are counted with the page's own.
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]

DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS = 0
QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER = 0
# One gateway posting as fast as the load generator can is the point of its benchmark.
GATEWAY_RATE_LIMIT_PER_MINUTE = 1_000_000_000
