# The call-center backend (docker-compose.yml service `backend`).
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# espeak-ng and sox make the IVR's prompts (`callcenter prompts build`, which the compose
# service `prompts` runs into Asterisk's sounds volume).
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng sox \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# The dependencies at the versions of the lock (README, "Dependencies"): the image runs what
# CI tested.
COPY requirements/constraints.txt ./requirements/
COPY pyproject.toml README.md ./
COPY acd ./acd
COPY ivr_flows ./ivr_flows
COPY cti ./cti
COPY callcenter ./callcenter
COPY config ./config
COPY agents_ui ./agents_ui
RUN pip install -c requirements/constraints.txt . \
    && useradd --system --uid 10001 --create-home --home-dir /home/callcenter callcenter \
    && rm -rf /src

USER callcenter
WORKDIR /home/callcenter
# 4573: FastAGI (Asterisk's dialplan connects here); 8080: web, /metrics, /healthz.
EXPOSE 4573 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=3)"]
CMD ["callcenter", "serve"]
