"""Maintenance: purge of long-missing files ("Delete Missing Photos") and catalog backups."""
