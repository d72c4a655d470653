"""Pure skill handling: parse SKILL.md text into typed models, discover and resolve skills."""
