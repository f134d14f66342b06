"""The back office's domain core: entities, rules, events, ports and use cases.

Pure Python. Nothing here imports a database driver, a web framework or an OCPP library.
"""
