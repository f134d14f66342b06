"""Access: the tenant's API keys (list, create, revoke), and what closes a socket whose key stops being valid."""
