"""The pure core: rows in, requests and results out. No I/O, no third-party imports."""
