"""Member registry: insurer, branches, employers, people, memberships and Myna status."""
