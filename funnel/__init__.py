"""Customer Funnel (客户漏斗): find, grow and keep key customers from an ERP sales report.

The package is pure computation (no Streamlit): read → schema → analyses → charts → export.
"""

from funnel.errors import FunnelError

__all__ = ["FunnelError"]
__version__ = "0.1.0"
