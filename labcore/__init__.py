"""The engine of Uncertainty Lab: data, models, losses and uncertainty maths. Never imports
streamlit; only :mod:`labcore.plots` imports plotly.

The folders are the architecture, read top to bottom as data flows:

- :mod:`labcore.config`, :mod:`labcore.device`, :mod:`labcore.budget`, :mod:`labcore.checks`:
  frozen configs whose fields carry their limits, the compute device and seeds, the per-run
  time limit, input checks.
- :mod:`labcore.data`: what the models learn from (1-D regression with a known truth, 2-D toys
  and digits, corruptions, a user's CSV, splits).
- :mod:`labcore.models`: the batched MLP, the one training loop, the one classifier trainer.
- :mod:`labcore.losses`: each loss is the negative log-likelihood of a distribution.
- :mod:`labcore.uncertainty`, :mod:`labcore.calibration`, :mod:`labcore.ood`: the metrics —
  decompositions, TTA aggregation and selective prediction; reliability, ECE, temperature and
  regression calibration; OOD scores and detection.
- :mod:`labcore.experiments`: one package per page (config, run, report, sweeps).
- :mod:`labcore.plots`: figure builders, a result in and a figure out.
"""
