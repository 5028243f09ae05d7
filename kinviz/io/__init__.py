"""Files in and out: plain CSV, DeepLabCut, SLEAP, TrackMate, Tracker and MOTChallenge files (and their
``.h5``) read into a ``core.Trajectory`` and written back in the layout they came in, and the tracker
files of a folder (``formats.collect_csvs``). Below it: ``core``; above it, everything that fills, trains
or scores."""
