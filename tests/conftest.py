"""Suite-wide safety: no test may reach a real model.

Real model requests fail closed for every test (and for subprocesses, which inherit
the environment); tests that route HTTP through respx switch them back on with the
``model_requests`` fixture in ``tests/llm/conftest.py``.
"""

import os

os.environ["SKILLWEAVE_ALLOW_MODEL_REQUESTS"] = "0"
