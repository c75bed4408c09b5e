"""One router per screen; each route only reads the form, calls the package API and renders."""
