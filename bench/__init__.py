"""Benchmarks that print ratios against a real peer measured in the same run."""
