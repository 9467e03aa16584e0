"""``python -m nst``: see ``nst.cli``."""

import sys

from nst.cli import main

sys.exit(main())
