"""Users, roles per study, site memberships, sessions, API tokens and permissions."""
