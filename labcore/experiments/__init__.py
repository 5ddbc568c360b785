"""One package per page: its config, its run function, its report (the numbers the page
shows) and its sweeps. ``run_<page>(config, progress)`` returns a frozen result dataclass."""
