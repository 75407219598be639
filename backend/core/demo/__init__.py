"""The demo hospital: deterministic seed data (`seed`), the fallback lists used when no HIS answers
(`fallback`) and the process supervisor behind `manage.py rundemo` (`runner`)."""
