"""The `pmiek` command line: one entry point over the core, the sync service and the report."""
