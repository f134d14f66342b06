FROM python:3.11-slim
WORKDIR /app
COPY requirements/runtime.lock requirements/runtime.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.lock
COPY pyproject.toml README.md ./
COPY domain domain
COPY infra infra
COPY api api
COPY ocpp_server ocpp_server
COPY autocharge autocharge
COPY migrations migrations
COPY ui ui
RUN pip install --no-cache-dir --no-deps .
EXPOSE 8000 9000
CMD ["autocharge", "serve"]
