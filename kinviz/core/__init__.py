"""The data every other floor works on: ``Trajectory`` (times and positions, NaN where unseen), masks of
what to hide, the project's errors for people, and ``metrics``, the one measure of a fill (errors on
hidden cells, PSNR/SSIM of videos). Imports nothing else of kinviz; ``io`` reads files into it,
``classical``, ``videomodel`` and ``motion`` fill it, and ``motion``, ``training`` and ``evaluation``
score fills with its metrics."""
