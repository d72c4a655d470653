"""Evidence bundles: incident data exported by the operator, read with citations.

Pure apart from reading the bundle's files once; the tools in ``tools/incident.py``
wrap these functions for the model.
"""

from agent.evidence.bundle import KINDS, Bundle, Record, open_bundle

__all__ = ["KINDS", "Bundle", "Record", "open_bundle"]
