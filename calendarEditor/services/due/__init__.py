"""Scheduled work (DESIGN §7), one module per kind of job.

``calendarEditor.services.due_work.run_due_work`` runs them all; this package
imports nothing on its own so that the engine may read its settings
(``due.config``) without a circular import.
"""
