"""Inquiry desk: FAQ content in 23 languages and its search, contact forecast and staffing.

Modules: :mod:`~shikaku.desk.content` (load and check ``content/faq/<lang>.yaml``),
:mod:`~shikaku.desk.search` (BM25 + character n-grams + rapidfuzz),
:mod:`~shikaku.desk.forecast` (mailing plan → contacts), :mod:`~shikaku.desk.staffing`
(Erlang C), :mod:`~shikaku.desk.charts`, :mod:`~shikaku.desk.cli` (``shikaku desk …``).
Imports are left to the caller so that ``import shikaku.desk`` stays cheap (no matplotlib).
"""
