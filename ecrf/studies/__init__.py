"""Studies, their published definition versions, and sites."""
