"""Compile resolved skills into durable LangGraph graphs (orchestration layer).

Entry points: :func:`agent.graph.compile.compile_skill` and
:func:`agent.graph.compile.build_graph`.
"""
