"""The Docker backend: hardened warm containers of the runner image, the engine and image they need."""
