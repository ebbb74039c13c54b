"""Click2Mail at the edge of the network: the client (``client``, the only importer of requests),
what its answers mean (``verdicts``), a failed connection in words (``failures``), XML
(``xmlanswers``, the only importer of lxml), and the endpoint, credentials and settings a client
is opened with."""
