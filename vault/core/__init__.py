"""Headless core: model, crypto, format, store, providers and service; never imports textual."""
