"""Pure decoders for message and note bodies (bytes in, Python values out).

Nothing in this package touches files or databases: every function takes the
bytes of one column value and returns plain data, so the artifact extractors
(``reclaim.artifacts.messages`` and ``reclaim.artifacts.notes``) stay thin and
the decoders can be tested against real sample blobs.

Modules:

* :mod:`reclaim.decoders.typedstream` -- iMessage ``attributedBody`` (NeXTSTEP typedstream).
* :mod:`reclaim.decoders.keyed_archive` -- generic NSKeyedArchiver unarchiver.
* :mod:`reclaim.decoders.imessage_payload` -- edit history, unsent parts, link previews, app messages.
* :mod:`reclaim.decoders.protobuf` -- minimal protobuf wire-format reader.
* :mod:`reclaim.decoders.notes_proto` -- Apple Notes bodies and tables, with HTML/Markdown renderers.
* :mod:`reclaim.decoders.notes_crypto` -- unlocking password-protected notes.
"""
