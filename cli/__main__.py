"""``python -m cli`` is ``jobmatch``."""

import sys

from cli import main

sys.exit(main())
