"""Data: datasets as uint8 arrays, clean and corrupted test sets, and the ``.npz`` files that
hold them. Imports only ``plumbing``."""
