"""The session agent: holds an unlocked vault's data key in memory so commands skip the KDF."""
