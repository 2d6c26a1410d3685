"""The embedded MongoDB for development and tests: mongoeco's wire server on SQLite storage.

    python -m crm_dev.mongo --port 27018 --data .data/mongo

`server` is the launcher; `patches` holds the patches it applies to mongoeco first.
"""

from crm_dev.mongo.server import DB_FILE, DEFAULT_PORT, main, port_message, serve, uri_for

__all__ = ["DB_FILE", "DEFAULT_PORT", "main", "port_message", "serve", "uri_for"]
