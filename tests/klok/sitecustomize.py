"""A frozen (ticking) clock for the `pmiek` subprocesses of a test.

Tests that run the CLI as a subprocess put this folder first on PYTHONPATH and set
PMIEK_TEST_KLOK to an ISO moment: Python imports `sitecustomize` at start-up, so the whole process
(the CLI and anything it imports) sees that moment as "now", ticking on from there. Without the
variable nothing happens. Only the Python clock moves: OpenSSL (certificate validity) keeps the
machine's time.
"""

import datetime as _dt
import os as _os

_moment = _os.environ.get("PMIEK_TEST_KLOK")
if _moment:
    import time_machine as _time_machine

    _time_machine.travel(_dt.datetime.fromisoformat(_moment), tick=True).start()
