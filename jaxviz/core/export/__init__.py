"""Drawings written out (SVG, PNG, PDF, DOT, JSON) without ever replacing a user's file, and the
overlays that colour them."""
