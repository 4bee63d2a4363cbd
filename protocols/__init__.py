"""Backstep's exercise library: templates, protocols, phases, load ladders and the progression engine.

One import direction between the apps: `patients` imports `protocols`, never
the reverse. protocols is the library; patients uses it (assigns protocols
as snapshots, runs the engine on a patient's sessions). Where the library
must write into patients' rows or show their numbers, patients passes its
models in (`protocols.tree.TreeModels`) or registers its counts
(`protocols.usage`). `protocols.tests.test_import_direction` keeps it so.
"""
