"""``python -m geo.demo``: rebuild the demo scenario files or the demo reports."""

import sys

from geo.demo import main

sys.exit(main())
