"""KAP consent: the template format (pure), the shipped default template and trauma-informed data."""
