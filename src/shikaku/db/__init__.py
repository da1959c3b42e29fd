"""Database access: metadata, engines and migrations."""
