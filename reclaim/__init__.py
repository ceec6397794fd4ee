"""reclaim: take your data back from an iPhone.

Data flows one way: a source (backup, device, iCloud export) becomes a read-only
virtual file system (:mod:`reclaim.vfs`); artifact extractors
(:mod:`reclaim.artifacts`) turn its files into typed records; the case store
(:mod:`reclaim.case`) keeps them; exporters (:mod:`reclaim.export`), the CLI and
the web page read only the case store.
"""

__version__ = "0.1.0"
