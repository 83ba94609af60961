"""Entry point for `python -m funnel`."""

import sys

from funnel.early import start

start(sys.argv[1:])  # the report starts being read in the worker while the rest of the CLI is imported

from funnel.cli import main  # noqa: E402

sys.exit(main())
