"""Entry point for `python -m funnel`."""

import gc
import sys

from funnel.early import start

start(sys.argv[1:])  # the report starts being read in the worker while the rest of the CLI is imported

from funnel.cli import main  # noqa: E402

# The modules just imported (pandas, pyarrow, DuckDB: hundreds of thousands of objects) live as long as the command:
# frozen, the cyclic collector stops walking them on every full collection and once more when the interpreter
# exits (~0.1 s of a 300k-row run). Objects still go when their last reference does; only cycles among frozen
# objects are left for the end of the process.
gc.freeze()
code = main()
gc.freeze()
sys.exit(code)
