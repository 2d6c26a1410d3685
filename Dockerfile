# syntax=docker/dockerfile:1
# The image of every CRM process, chosen by the SERVICE build arg
# (gateway | customer | interaction | notification | sales). Build from the repository root:
#   docker build --build-arg SERVICE=customer -t crm/customer:TAG .
# Pin the base by digest in your pipeline:
#   --build-arg PYTHON_IMAGE=python:3.13-slim-bookworm@sha256:<digest>
ARG PYTHON_IMAGE=python:3.13-slim-bookworm
ARG SERVICE
# checkov:skip=CKV_DOCKER_7:The bases are the PYTHON_IMAGE build arg (a fixed 3.13 tag, pinned by digest in the pipeline) and the stage the SERVICE build arg selects, which checkov cannot resolve

# --- build: resolve the locked workspace into a self-contained virtualenv (no dev deps) ---
FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
ARG UV_VERSION=0.13.8
# The OTLP/HTTP span exporter crm_kit loads when OTEL_EXPORTER_OTLP_ENDPOINT is set; same
# release as the locked opentelemetry-sdk.
ARG OTEL_VERSION=1.45.2
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
COPY . .
RUN uv sync --frozen --no-dev --no-editable --package "crm-${SERVICE}" \
 && uv pip install --python /app/.venv/bin/python --no-cache \
      "opentelemetry-exporter-otlp-proto-http==${OTEL_VERSION}"

# --- runtime: the interpreter, the virtualenv, a non-root user; nothing else ---
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
RUN groupadd --system --gid 10001 crm \
 && useradd --system --uid 10001 --gid crm --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin crm
# sales only: the CJK font its quote PDFs embed (SALES_PDF_FONT's default,
# /usr/share/fonts/truetype/wqy/wqy-microhei.ttc, from Debian's fonts-wqy-microhei).
RUN if [ "${SERVICE}" = "sales" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends fonts-wqy-microhei \
      && rm -rf /var/lib/apt/lists/*; \
    fi
COPY --from=build --chown=root:root /app/.venv /app/.venv
# Bytecode is compiled at build time; the root filesystem can be mounted read-only.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json \
    CRM_SERVICE=${SERVICE}
WORKDIR /app
USER 10001:10001
# The port is the process's own <SERVICE>_PORT setting (set below per service).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; port = os.environ[os.environ['CRM_SERVICE'].upper() + '_PORT']; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2)"]
# Subgraph images also run `python -m crm_<SERVICE>.migrate` (indexes and versioned
# migrations; the pods' init step).
ENTRYPOINT ["sh", "-c", "exec python -m \"crm_${CRM_SERVICE}\" \"$@\"", "crm"]

# --- what differs per process: its listening address ---
FROM runtime AS crm-gateway
ENV GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=4000
EXPOSE 4000

FROM runtime AS crm-customer
ENV CUSTOMER_HOST=0.0.0.0 CUSTOMER_PORT=4001
EXPOSE 4001

FROM runtime AS crm-interaction
ENV INTERACTION_HOST=0.0.0.0 INTERACTION_PORT=4002
EXPOSE 4002

FROM runtime AS crm-notification
ENV NOTIFICATION_HOST=0.0.0.0 NOTIFICATION_PORT=4003
EXPOSE 4003

FROM runtime AS crm-sales
ENV SALES_HOST=0.0.0.0 SALES_PORT=4004
EXPOSE 4004

FROM crm-${SERVICE}
