"""Entry point for `python -m funnel`."""

import gc

gc.disable()  # the imports below create ~10^5 objects and no garbage to speak of: no collection until they are frozen

import sys  # noqa: E402

from funnel.early import start  # noqa: E402

start(sys.argv[1:])  # the report starts being read in the worker while the rest of the CLI is imported

from funnel.cli import main  # noqa: E402
from funnel.early import leave  # noqa: E402

# The modules just imported (pandas, pyarrow, DuckDB: hundreds of thousands of objects) live as long as the command:
# frozen, the cyclic collector stops walking them on every full collection and once more when the interpreter
# exits (~0.1 s of a 300k-row run). Objects still go when their last reference does; only cycles among frozen
# objects are left for the end of the process.
gc.freeze()
gc.enable()
code = main()
gc.freeze()
leave(sys.argv[1:], code)
sys.exit(code)
