"""RESP2/RESP3: the request reader (sans-IO) and the reply encoder."""
