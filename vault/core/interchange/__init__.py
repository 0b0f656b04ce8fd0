"""Credentials in from other tools' files (Postman, .env) and fresh tokens out to them."""
