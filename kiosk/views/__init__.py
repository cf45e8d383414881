"""Blueprints: views parse requests and render; the rules live in kiosk.services."""
