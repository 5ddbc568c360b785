"""Which device the lab computes on, seeding, and torch's thread count.

One rule for the whole lab: CUDA if present, then Apple's MPS, then the CPU. The environment
variable ``LAB_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``) overrides the choice.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import zlib

import numpy as np
import torch

_VALID_PREFIXES = ("cpu", "cuda", "mps")
_threads_lock = threading.Lock()
_threads_configured = False


def default_device() -> torch.device:
    """The device every experiment uses: ``LAB_DEVICE`` if set, else cuda → mps → cpu.

    Raises:
        ValueError: ``LAB_DEVICE`` names an unknown or unavailable device.
    """
    requested = os.environ.get("LAB_DEVICE", "").strip().lower()
    if requested:
        return parse_device(requested)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def parse_device(name: str) -> torch.device:
    """Turn ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"mps"`` into an available torch device.

    Raises:
        ValueError: the name is not one of those, or the device is not available here.
    """
    if not name.startswith(_VALID_PREFIXES):
        raise ValueError(f"LAB_DEVICE must be one of cpu, cuda, cuda:N or mps. Got {name!r}.")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(
            f"LAB_DEVICE must be one of cpu, cuda, cuda:N or mps. Got {name!r}."
        ) from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"LAB_DEVICE asks for CUDA but no CUDA device is available. Got {name!r}."
            )
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"LAB_DEVICE asks for CUDA device {index} but only "
                f"{torch.cuda.device_count()} exist. Got {name!r}."
            )
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"LAB_DEVICE asks for MPS but it is not available. Got {name!r}.")
    return device


def describe_device(device: torch.device | None = None) -> str:
    """A short human description, e.g. ``"CPU (2 threads)"`` or ``"CUDA: NVIDIA H200"``."""
    device = device or default_device()
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'s' if n != 1 else ''})"


def configure_threads(n_threads: int | None = None) -> int:
    """Set torch's intra-op thread count once per process and return it.

    Streamlit serves every session from threads of one process; torch's default (one thread
    per core in every session) oversubscribes the cores when several sessions train at once.
    The lab's networks are small, so one thread per operation is also the fastest choice on a
    busy machine: measured here on 2 cores with other work running, a digits classifier
    trained in 0.5 s with one thread and 13 s with two (OpenMP threads spin while they wait
    for a core). The default is 1, or ``LAB_TORCH_THREADS`` when set. Later calls return the
    current count without changing it.
    """
    global _threads_configured
    with _threads_lock:
        if not _threads_configured:
            if n_threads is None:
                env = os.environ.get("LAB_TORCH_THREADS", "").strip()
                n_threads = int(env) if env else 1
            if n_threads < 1:
                raise ValueError(f"Thread count must be at least 1. Got {n_threads}.")
            torch.set_num_threads(n_threads)
            # Fails once parallel work has started; then keep what is there.
            with contextlib.suppress(RuntimeError):
                torch.set_num_interop_threads(1)
            _threads_configured = True
        return torch.get_num_threads()


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch; return a CPU generator seeded with ``seed``.

    Experiments draw their randomness from explicit generators where they can, so two sessions
    running at once do not disturb each other's streams; the global seeds are a backstop.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """A numpy generator for one named stream of one seed (stable across runs and processes).

    Two streams of one seed (``"train"`` and ``"test"``, say) never share random numbers by
    accident, and adding a stream never shifts another one.
    """
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def stream_seed(seed: int, stream: str) -> int:
    """An integer seed in [0, 2³¹ − 1) for one named stream of ``seed``, from :func:`rng_for`.

    For code that takes an integer seed (a torch generator, scikit-learn's ``random_state``).
    """
    return int(rng_for(seed, stream).integers(2**31 - 1))
