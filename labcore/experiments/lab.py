"""What every lab package says about itself, once: :class:`Lab`.

Each package under :mod:`labcore.experiments` exports one ``LAB``; :data:`labcore.experiments.LABS`
lists them in the order the navigation shows. The navigation (``labui.nav``), the page's
"Download the script" button (:mod:`labcore.script`) and the preset pickers read it, so adding a
lab means writing its package and its page, not editing parallel lists.

A descriptor names its config class, run function and presets as ``"module:name"`` strings and
loads them on first use: the navigation reads every lab's title on the first page load, and
importing five engines (torch, scikit-learn) for that would keep the Home page waiting.

Every lab package has the same shape:

- ``config.py`` — the settings (one frozen :class:`~labcore.config.Config`, fields with limits);
- ``run.py`` — the experiment: config in, result (numpy arrays and numbers) out;
- ``report.py`` — what the page says about a result: its rows, notices and presets;
- ``cost.py`` — the computation a config asks for, checked against the budget;
- ``whatif.py`` — its headline numbers, A/B comparisons and repeat over seeds
  (:mod:`labcore.whatif`);
- ``live.py`` and ``sweep.py`` where the lab trains live or sweeps a setting.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from typing import Any


def load(path: str) -> Any:
    """The object a ``"module:name"`` string names.

    Example:
        >>> load("labcore.experiments.lab:load") is load
        True
    """
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclasses.dataclass(frozen=True)
class Lab:
    """One lab: its page, its settings, its experiment and how a script reproduces it.

    The package ``labcore.experiments.<key>`` has the lab shape, so the descriptor names only
    what differs: the config class (in its ``config.py``), the run function (in ``run.py``) and
    whether ``report.py`` has ``PRESETS``.

    Attributes:
        key: the lab's short name: its package, its page ``pages/<key>.py``, its session and
            widget keys, its script's name.
        title: the name in the navigation and on links.
        icon: a Material icon for the navigation (``":material/…:"``).
        blurb: one sentence on what a visitor can do there.
        config: the name of the config class of the page's main run, in ``config.py``.
        run: the name of its run function, in ``run.py``, called as ``run(config)``.
        headline: a Python expression of ``config`` and ``result``: the text a script prints.
        scene: what the script reproduces, for its docstring.
        uses: further names the headline needs, ``"module:name"`` each.
        presets: whether ``report.py`` has ``PRESETS`` (preset name → config).
    """

    key: str
    title: str
    icon: str
    blurb: str
    config: str
    run: str
    headline: str
    scene: str
    uses: tuple[str, ...] = ()
    presets: bool = True

    @property
    def page(self) -> str:
        """The page script, relative to the repository root."""
        return f"pages/{self.key}.py"

    def path(self, module: str, name: str) -> str:
        """``name`` in the lab's ``module`` as ``"module:name"``, e.g. ``path("run", "run_ood")``
        is ``"labcore.experiments.ood.run:run_ood"``."""
        return f"{self.package}.{module}:{name}"

    @property
    def config_path(self) -> str:
        """The config class as ``"module:Name"``."""
        return self.path("config", self.config)

    @property
    def run_path(self) -> str:
        """The run function as ``"module:name"``."""
        return self.path("run", self.run)

    def config_class(self) -> type:
        """The config class (imported on first use)."""
        return load(self.config_path)

    def preset_configs(self) -> Mapping[str, Any]:
        """Preset name → config (imported on first use); empty where the lab has none."""
        return load(self.path("report", "PRESETS")) if self.presets else {}

    def whatif(self) -> Any:
        """The lab's :class:`labcore.whatif.WhatIf` (``whatif.py``'s ``WHATIF``, imported on
        first use): what its A/B comparison and its repeat over seeds train and report."""
        return load(self.path("whatif", "WHATIF"))

    def exports(self, **names: str) -> Any:
        """A package ``__getattr__`` (PEP 562) for the lab's public names: its config class (from
        ``config.py``), its run function (``run.py``) and ``names`` (name → module of the
        package), each imported on first use. So ``from labcore.experiments.regression import
        run_regression`` works while importing the package for :data:`LAB` stays light.

        Example:
            >>> from labcore.experiments import regression
            >>> regression.run_regression.__module__
            'labcore.experiments.regression.run'
        """
        modules = {self.config: "config", self.run: "run", **names}

        def __getattr__(name: str) -> Any:
            if name not in modules:
                raise AttributeError(f"module {self.package!r} has no attribute {name!r}")
            return load(self.path(modules[name], name))

        return __getattr__

    @property
    def package(self) -> str:
        """The lab's package, ``labcore.experiments.<key>``."""
        return f"labcore.experiments.{self.key}"
