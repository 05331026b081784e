"""``python -m streams.cli`` is ``jobmatch``."""

import sys

from streams.cli import main

sys.exit(main())
