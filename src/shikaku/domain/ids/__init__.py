"""Identifier modules in the python-stdnum style.

Each module offers ``compact``, ``calc_check_digit`` (where the number has one),
``validate``, ``is_valid`` and ``format``; validation raises the typed errors of
:mod:`shikaku.domain.errors`. Import the modules themselves::

    from shikaku.domain.ids import insurer_number, my_number, member
    insurer_number.validate("０１１３００１２")  # -> "01130012"
"""

from shikaku.domain.ids import insurer_number, member, my_number

__all__ = ["insurer_number", "member", "my_number"]
