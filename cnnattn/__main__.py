"""`python -m cnnattn ...` entry point."""

import sys

from cnnattn.cli import main

sys.exit(main())
