"""codesynth.verifiers: verdicts -> rewards, filters, datasets, exports, trainer adapters."""
