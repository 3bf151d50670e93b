"""Django-free helpers the pure cores share: data files, registries of versioned definitions, and the
scaffold of their command-line functions. Imports nothing from Kapstone's apps or from Django."""
