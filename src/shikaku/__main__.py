"""``python -m shikaku`` runs the command line."""

from shikaku.cli import main

main()
