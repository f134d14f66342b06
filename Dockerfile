FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY infra infra
COPY api api
COPY ocpp_server ocpp_server
COPY autocharge autocharge
COPY migrations migrations
RUN pip install --no-cache-dir .
EXPOSE 8000 9000
CMD ["autocharge", "serve"]
