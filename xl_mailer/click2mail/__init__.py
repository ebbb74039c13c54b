"""The Click2Mail client (the only importer of requests and lxml), endpoints and credentials."""
