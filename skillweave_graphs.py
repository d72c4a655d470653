"""LangGraph Server graphs, one per skill: written by `skillweave langgraph-config`."""

from agent.graph.server import skill_graph

auditor = skill_graph("auditor")
constitution = skill_graph("constitution")
incident_response = skill_graph("incident-response")
scratchpad = skill_graph("scratchpad")
