"""In-container harness (pure stdlib). Entry point: supervisor.py, run inside the runner image."""
