"""The web app and REST API over the story store (`storylens serve`)."""
