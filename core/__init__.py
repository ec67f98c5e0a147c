"""The application core: factory, configuration, extensions, errors, roles and the import machinery."""
