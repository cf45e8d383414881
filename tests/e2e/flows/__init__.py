"""The sample TPS day's flows, each as the taps a KPPS member makes on its screens. Each module
belongs to one flow's screens: when a screen changes, its flow here changes with it, and
tests/e2e/test_tps_day.py (the whole day, taps counted) keeps running."""
