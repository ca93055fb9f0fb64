"""The graph IR: a traced stage as plain data (``graph``), the one name of each equation
(``labels``), and where each came from in the user's code (``provenance``)."""
