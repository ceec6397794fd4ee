"""iCloud: the live account through pyicloud (``reclaim icloud login/download``) and the formats Apple exports.

See ``docs/icloud.md`` for what "iCloud" can and cannot give back today.
"""
