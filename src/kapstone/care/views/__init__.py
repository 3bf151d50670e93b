"""Pages for protocols, courses and sessions, and the live dosing room, one module each. Thin: a
selector reads, a service writes, a template shows."""
