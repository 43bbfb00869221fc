"""Data operations shared by the API and the command line."""
