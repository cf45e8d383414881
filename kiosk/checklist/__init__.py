"""The TPS day as a touch-screen checklist: data files, progress, reminders, incidents."""
