"""Shared core of pMIEK Monitor: the fiche schema, the stoplicht rule, reading and validation.

Both `addin/` and `sync/` build on this package; they never import each other.
"""
