"""Customer Funnel (客户漏斗): find, grow and keep key customers from an ERP sales report.

The package is pure computation (no Streamlit): read → schema → analyses → charts → export.
"""

import os

# Arrow's allocations through the C library's allocator, not mimalloc: mimalloc keeps freed pages resident, and a
# 300k-row report's parse held 45 MB more at its peak (and took ~0.1 s more CPU). Set before pyarrow is imported;
# an ARROW_DEFAULT_MEMORY_POOL already set is kept.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

from funnel.errors import FunnelError

__all__ = ["FunnelError"]
__version__ = "0.1.0"
