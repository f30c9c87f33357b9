"""maskpipe: columnar, keyed, consistent masking of production snapshots."""

__version__ = "0.1.0"
