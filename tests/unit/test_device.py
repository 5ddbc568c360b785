"""Tests for labcore.device: the LAB_DEVICE rule, descriptions, threads and seeding."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
import torch

from labcore import device as labdevice
from labcore.device import configure_threads, default_device, describe_device, seed_everything


@pytest.mark.parametrize("value", ["cpu", " CPU ", "Cpu"])
def test_lab_device_cpu_gives_cpu(monkeypatch, value):
    monkeypatch.setenv("LAB_DEVICE", value)
    assert default_device() == torch.device("cpu")


def test_without_lab_device_and_without_accelerators_the_cpu_is_used(monkeypatch):
    monkeypatch.delenv("LAB_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert default_device() == torch.device("cpu")


@pytest.mark.parametrize("value", ["tpu", "gpu", "cudax"])
def test_unknown_lab_device_raises(monkeypatch, value):
    monkeypatch.setenv("LAB_DEVICE", value)
    message = f"LAB_DEVICE must be one of cpu, cuda, cuda:N or mps. Got '{value}'."
    with pytest.raises(ValueError, match=re.escape(message)):
        default_device()


@pytest.mark.parametrize("value", ["cuda", "cuda:1"])
def test_cuda_without_cuda_raises(monkeypatch, value):
    monkeypatch.setenv("LAB_DEVICE", value)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    message = f"LAB_DEVICE asks for CUDA but no CUDA device is available. Got '{value}'."
    with pytest.raises(ValueError, match=re.escape(message)):
        default_device()


def test_mps_without_mps_raises(monkeypatch):
    monkeypatch.setenv("LAB_DEVICE", "mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"asks for MPS but it is not available\. Got 'mps'\."):
        default_device()


def test_describe_cpu_names_the_thread_count():
    n = torch.get_num_threads()
    assert describe_device(torch.device("cpu")) == f"CPU ({n} thread{'s' if n != 1 else ''})"


def test_describe_cpu_singular_thread(monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert describe_device(torch.device("cpu")) == "CPU (1 thread)"


def test_configure_threads_sets_once_and_then_reports():
    # conftest.py has already called configure_threads(); later calls must not change it.
    before = torch.get_num_threads()
    assert configure_threads(1 if before != 1 else 2) == before
    assert torch.get_num_threads() == before


def test_configure_threads_reads_lab_torch_threads(monkeypatch):
    monkeypatch.setattr(labdevice, "_threads_configured", False)
    monkeypatch.setenv("LAB_TORCH_THREADS", "3")
    before = torch.get_num_threads()
    try:
        assert labdevice.configure_threads() == 3
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_configure_threads_rejects_zero(monkeypatch):
    monkeypatch.setattr(labdevice, "_threads_configured", False)
    with pytest.raises(ValueError, match=r"Thread count must be at least 1\. Got 0\."):
        labdevice.configure_threads(0)


def _draws() -> tuple[float, np.ndarray, torch.Tensor]:
    return random.random(), np.random.rand(3), torch.rand(3)


def test_seed_everything_makes_every_generator_repeat():
    gen_a = seed_everything(42)
    first, from_gen_a = _draws(), torch.rand(3, generator=gen_a)
    gen_b = seed_everything(42)
    second, from_gen_b = _draws(), torch.rand(3, generator=gen_b)
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])
    assert torch.equal(from_gen_a, from_gen_b)
    # the returned generator is the same stream as torch.Generator().manual_seed(seed)
    assert torch.equal(from_gen_a, torch.rand(3, generator=torch.Generator().manual_seed(42)))
    seed_everything(43)
    assert random.random() != first[0]


@pytest.mark.gpu
def test_cuda_is_the_default_when_present(monkeypatch):
    monkeypatch.delenv("LAB_DEVICE", raising=False)
    assert default_device().type == "cuda"
    assert describe_device().startswith("CUDA: ")
