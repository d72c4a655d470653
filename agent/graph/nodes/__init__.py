"""The graph's nodes; each factory closes over one compiled skill's context."""
