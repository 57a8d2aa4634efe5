"""`python -m playground serve|train|lessons|download-mnist`: the same as `nn-playground` (playground.cli)."""

import sys

from playground.cli import main

sys.exit(main())
