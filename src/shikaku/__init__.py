"""shikaku: the switch from paper health insurance cards to the My Number insurance card."""

__version__ = "0.1.0"
