"""Safety check: every link and QR code a person received or sent, and which of them look dangerous.

:func:`reclaim.links.analyse.analyse_case` reads a case (never the source, never the network),
finds URLs in the text, cards and notes of every kind, decodes QR and other 2-D codes in
images, and checks each against indicator files (STIX 2 bundles, plain lists) and
simple warnings that need no list.
"""
