"""``python -m shikaku.issuance.render FILE.pdf [FILE.pdf …] [--pages N]``: preflight PDFs."""

from shikaku.issuance.render.preflight import main

raise SystemExit(main())
