r"""A page's current scene as a short Python script that reproduces it with ``labcore``.

:data:`SCRIPTS` is every lab's descriptor (:data:`labcore.experiments.LABS`): its config
class, its run function and its headline metric as a Python expression of ``config`` and
``result``. :func:`scene_script` writes the config out field by field (only the fields that
differ from the defaults, as ``repr``), runs
the experiment and prints the headline — so a student can take the scene into a notebook. Before
it trains, the script sets torch up as the server does (:func:`labcore.device.configure_threads`:
one thread per operation unless ``LAB_TORCH_THREADS`` says otherwise) and prints the device line
the sidebar shows ("Computing on: CPU (1 thread)"): a run on all cores could sum in another
order and print a number the page does not show.

Example:
    >>> from labcore.experiments.home.config import MLEConfig
    >>> source = scene_script("home", MLEConfig(n_samples=50, distribution="laplace"))
    >>> print("\n".join(source.splitlines()[6:19]))
    from labcore.device import configure_threads, describe_device
    from labcore.experiments.home.config import MLEConfig
    from labcore.experiments.home.run import run_mle
    <BLANKLINE>
    # Torch set up as the lab's server does it (one thread per operation, or
    # LAB_TORCH_THREADS), before any training: the page's numbers on any machine.
    configure_threads()
    print(f"Computing on: {describe_device()}")
    <BLANKLINE>
    config = MLEConfig(
        distribution='laplace',
        n_samples=50,
    )
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from labcore.config import Config
from labcore.experiments import LAB_BY_KEY
from labcore.experiments.lab import Lab

SCRIPTS: dict[str, Lab] = LAB_BY_KEY
"""Page → its lab's descriptor: the config class, the run function and the headline a script
prints (:class:`labcore.experiments.lab.Lab`)."""


SETUP = ("labcore.device:configure_threads", "labcore.device:describe_device")
"""What every script calls before it trains: torch's threads as the server sets them
(:func:`labcore.device.configure_threads`), and the device line the sidebar shows."""


def _project(cls: type[Config], config: Config) -> Config:
    """``config`` as a ``cls``: a page's wider config (the OOD page's) keeps ``cls``'s fields."""
    if type(config) is cls:
        return config
    names = [f.name for f in dataclasses.fields(cls)]
    missing = [n for n in names if not hasattr(config, n)]
    if missing:
        raise ValueError(f"The config must have every field of {cls.__name__}. "
                         f"Got {type(config).__name__} without {', '.join(missing)}.")
    return cls(**{n: getattr(config, n) for n in names})


def _spec(page: str) -> Lab:
    if page not in SCRIPTS:
        raise ValueError(f"Page must be one of {', '.join(SCRIPTS)}. Got {page!r}.")
    return SCRIPTS[page]


def config_source(config: Config) -> str:
    """``Name(field=value, …)`` with one line per field that differs from the defaults.

    Example:
        >>> from labcore.experiments.home.config import MLEConfig
        >>> config_source(MLEConfig())
        'MLEConfig()'
        >>> print(config_source(MLEConfig(seed=3, scale=0.5)))
        MLEConfig(
            scale=0.5,
            seed=3,
        )
    """
    cls = type(config)
    default = cls()
    changed = [f.name for f in dataclasses.fields(cls)
               if getattr(config, f.name) != getattr(default, f.name)]
    if not changed:
        return f"{cls.__name__}()"
    lines = "".join(f"    {name}={getattr(config, name)!r},\n" for name in changed)
    return f"{cls.__name__}(\n{lines})"


def _import_lines(paths: list[str]) -> str:
    """``from module import a, b`` lines, one per module, in first-use order."""
    modules: dict[str, list[str]] = {}
    for path in paths:
        module, _, name = path.partition(":")
        modules.setdefault(module, []).append(name)
    return "".join(f"from {m} import {', '.join(sorted(set(n)))}\n" for m, n in modules.items())


def scene_script(page: str, config: Config, then: Sequence[str] = (),
                 uses: Sequence[str] = ()) -> str:
    """A runnable script that reproduces ``page``'s scene with ``config`` and prints its
    headline metric.

    Args:
        page: a key of :data:`SCRIPTS` ("home", "regression", "classification",
            "calibration", "ood").
        config: the config the page runs (a config with more fields, like the OOD page's,
            is reduced to the fields of the script's config class).
        then: statements run after the headline, for what the page shows beyond it (e.g. the
            Regression page's X-ray at the x on screen).
        uses: the names ``then`` needs, ``"module:name"`` each.

    Returns:
        The script's source.

    Raises:
        ValueError: an unknown page, or a config without the fields the page's run needs.
    """
    spec = _spec(page)
    cls = spec.config_class()
    config = _project(cls, config)
    run_name = spec.run
    return (
        f'"""Reproduce the {spec.scene} with labcore.\n\n'
        "Run it from the Uncertainty Lab folder (or with that folder on PYTHONPATH):\n"
        f"    python {page}_scene.py\n"
        'The same config and seed give the same result on the same device."""\n\n'
        f"{_import_lines([*SETUP, spec.config_path, spec.run_path, *spec.uses, *uses])}\n"
        "# Torch set up as the lab's server does it (one thread per operation, or\n"
        "# LAB_TORCH_THREADS), before any training: the page's numbers on any machine.\n"
        "configure_threads()\n"
        'print(f"Computing on: {describe_device()}")\n\n'
        f"config = {config_source(config)}\n"
        f"result = {run_name}(config)\n"
        f"print({spec.headline})\n"
        + "".join(f"{line}\n" for line in then)
    )



def whatif_script(page: str, config: Config, pinned: Config | None = None, seeds: int = 1
                  ) -> str:
    """A runnable script for a page's "A/B · seeds" view: it trains B (``config``) and, when
    ``pinned``, A, each on ``seeds`` seeds from its own seed, and prints the view's headline
    numbers (:mod:`labcore.whatif`) for every run.

    Example:
        >>> from labcore.experiments.home.config import MLEConfig
        >>> source = whatif_script("home", MLEConfig(), MLEConfig(n_samples=5), seeds=3)
        >>> "A = MLEConfig(\\n    n_samples=5,\\n)" in source, "B = MLEConfig()" in source
        (True, True)
        >>> "for seed in range(base.seed, base.seed + 3):" in source
        True

    Raises:
        ValueError: an unknown page, or fewer than one seed.
    """
    spec = _spec(page)
    if seeds < 1:
        raise ValueError(f"A script repeats over at least one seed. Got {seeds}.")
    cls = type(config)
    runs = ([("A", pinned)] if pinned is not None else []) + [("B", config)]
    lab_module = spec.package
    module = cls.__module__
    what = "A and B" if pinned is not None else "these settings"
    over = f" over {seeds} seeds each" if seeds > 1 else ""
    return (
        f'"""Reproduce the {spec.title} page\'s A/B view ({what}{over}) with labcore.\n\n'
        "Run it from the Uncertainty Lab folder (or with that folder on PYTHONPATH):\n"
        f"    python {page}_whatif.py\n"
        'The same config and seed give the same result on the same device."""\n\n'
        f"{_import_lines([*SETUP, f'{module}:{cls.__name__}', f'{lab_module}:LAB'])}\n"
        "configure_threads()\n"
        'print(f"Computing on: {describe_device()}")\n'
        "whatif = LAB.whatif()  # the run, the config it trains and the headline numbers\n\n"
        + "".join(f"{name} = {config_source(c)}\n" for name, c in runs)
        + f"\nfor name, base in [{', '.join(f'({n!r}, {n})' for n, _ in runs)}]:\n"
        f"    for seed in range(base.seed, base.seed + {seeds}):\n"
        "        config = base.replace(seed=seed)\n"
        "        result = whatif.run(whatif.trained(config))\n"
        "        numbers = whatif.headline(config, result)\n"
        '        print(f"{name}, seed {seed}: " + "; ".join(f"{n.label} {n.text()}" '
        "for n in numbers))\n"
    )
