"""Use cases, one per module, that the command line and the ribbon both call."""
