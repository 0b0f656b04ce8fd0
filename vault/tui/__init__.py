"""Textual front end: app, screens, widgets and themes over the headless core."""
