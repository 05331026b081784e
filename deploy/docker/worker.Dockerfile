# The jobmatch image (worker, topic setup, portal) for deploy/docker-compose.yml.
# UNTESTED here: there is no Docker engine on the development machines.
# Build context: the repository root (`docker compose -f deploy/docker-compose.yml build`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY online_model ./online_model
COPY settings ./settings
COPY streams ./streams
COPY client ./client
COPY portal ./portal
COPY simulator ./simulator
COPY importers ./importers
COPY cli ./cli
RUN pip install .

# Not root; the Faust data directory (tables' local state) lives in the user's home.
RUN useradd --system --uid 10001 --create-home --home-dir /var/lib/jobmatch jobmatch
USER jobmatch
ENV JOBMATCH_DATA_DIR=/var/lib/jobmatch/worker \
    JOBMATCH_WEB_PORT=6066
EXPOSE 6066

# 200 once the worker has joined the group and recovered its tables (streams/web.py).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=6 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6066/health', timeout=4)"]

CMD ["jobmatch", "worker"]
