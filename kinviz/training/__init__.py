"""Making the video model: simulated motion (``generate``, ``bodies``), the held-out and tuning splits,
training clips, the training loop and the fusion's calibration (``tune``). Reads everything below
``evaluation``; only the CLI's ``train``, ``tune`` and ``bench`` commands import it."""
