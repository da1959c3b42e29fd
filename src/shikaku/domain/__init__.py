"""Pure domain rules: identifiers, ages and copayment, documents, certificate validity,
targeting, business days. No I/O, no clock, no database: every date is an argument.

Import the modules you need, for example::

    from shikaku.domain import copay, documents
    from shikaku.domain.ids import insurer_number

See docs/api.md for the public API.
"""
