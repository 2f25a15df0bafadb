"""Keep the ML libraries out of the terminal while the CLI follows a run.

Transformers and the Hugging Face hub draw their own tqdm bars ("Loading weights") and print
advice on stderr; in the CLI's process that text cut into its progress display. The run's log
in the UI has what a user needs; a user's own settings of these variables win.
"""

from __future__ import annotations

import os
import sys

QUIET = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TQDM_DISABLE": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


def quiet_ml_libraries() -> None:
    """Silence them for this process and the step processes it starts (the environment),
    and in transformers if it is imported already (it reads the environment on import)."""
    for name, value in QUIET.items():
        os.environ.setdefault(name, value)
    bars_off = os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
    logging = sys.modules.get("transformers.utils.logging")
    if logging is not None:
        if bars_off:
            logging.disable_progress_bar()
        if os.environ["TRANSFORMERS_VERBOSITY"] == "error":
            logging.set_verbosity_error()
    hub = sys.modules.get("huggingface_hub.utils")
    if hub is not None and bars_off:
        hub.disable_progress_bars()
