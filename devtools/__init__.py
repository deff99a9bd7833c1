"""Developer tooling: installing runtimes, training, starting the stack (stdlib only)."""
