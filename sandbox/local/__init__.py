"""The local backend: the same supervisor as a plain child process (not an isolation boundary)."""
