"""Making the video model: simulated motion (``generate`` and its
``families``, ``bodies``, the draws both share in ``sampling``), the held-out and tuning splits,
training clips, the training loop and the fusion's calibration (``tune``). Reads everything below
``evaluation``; only the CLI's ``train``, ``tune`` and ``bench`` commands import it."""
