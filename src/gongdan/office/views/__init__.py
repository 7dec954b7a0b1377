"""Office screens, one module per screen family; the views stay thin."""
