"""Serving the lab: start the real app, talk to it, seat a classroom in front of it.

Shared by the tests (``tests/e2e``, ``tests/load``, ``tests/cluster``) and the benchmarks
(``python -m benchmarks``); ``python -m labserve`` serves a class.

- :mod:`labserve.app_server`: ``streamlit run app.py`` on a free port as a subprocess, the
  system Chromium, the server's CPU time and memory, and its cache-miss count.
- :mod:`labserve.protocol`: one Streamlit session over its websocket, as the browser app
  speaks it, timing each script run without rendering anything.
- :mod:`labserve.classroom`: N sessions at once, as browsers or as protocol clients.
- :mod:`labserve.cluster`: a class server on one machine — Redis, N replicas and nginx
  (sticky by cookie) — as :func:`~labserve.cluster.running_cluster`; ``python -m labserve``
  (:mod:`labserve.__main__`) runs it until Ctrl-C.

Nothing here imports streamlit at import time: the app runs in its own process, and the
protocol client imports Streamlit's message classes only when it speaks.
"""
