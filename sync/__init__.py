"""The scheduled service: fiche sources, intake, store, master workbook and quarterly report.

Builds on the `fiche` core; never imports `addin`.
"""
