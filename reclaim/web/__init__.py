"""reclaim's local web page (``reclaim serve``): choose a backup, scan it, browse, search and recover.

The page is served on 127.0.0.1 only, behind a per-run token (:mod:`reclaim.web.security`);
it reads the case store and calls the same services as the command line
(:mod:`reclaim.service`, :func:`reclaim.export.export_case`).
"""
