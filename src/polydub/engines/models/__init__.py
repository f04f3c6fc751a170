"""Bigger models on request: a catalogue, a hub client, a local store of pulled models.

Nothing here downloads on import or at engine start; only `polydub models pull` (pull.py)
talks to a hub. Engines find what was pulled through found.py.
"""
