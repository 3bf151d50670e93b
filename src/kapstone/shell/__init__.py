"""The clinician's shell around the apps: the role desk and its queues, the side navigation, the
client header and tabs, the portal home's registry, personal and organization preferences, the
home, dashboard and error pages, and the instance's backup and restore commands.

It stands on the ground (accounts, access, audit, core) and below every app: apps register their
desk queues, header facts, navigation and portal items here from their ``desk`` modules and
``AppConfig.ready``; the shell never imports an app. Split out of ``kapstone.core`` so the ground
holds no cycle (core knew accounts, access and audit only to draw these pages).
"""
