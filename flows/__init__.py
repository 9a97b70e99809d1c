"""Prefect wiring for dechaff: flows, tasks and the command line. All logic is in `dechaff`."""
