"""The data every other floor works on: ``Trajectory`` (times and positions, NaN where unseen), masks of
what to hide, and the project's errors for people. Imports nothing else of kinviz; ``io`` reads files
into it, ``classical``, ``video`` and ``motion`` fill it."""
