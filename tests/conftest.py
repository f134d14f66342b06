# Fixtures shared across test folders: the test Redis (redis_url, prefix).
pytest_plugins = ["tests.redis_support"]
