"""The application core: factory, configuration, extensions, errors, roles, the import machinery,
and the pieces every package shares (time and date rules, forms, downloads, spreadsheet cells, PDFs)."""
