"""Delivery state for push and newsletter: a small store interface, SQLite by default."""
