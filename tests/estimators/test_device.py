"""Device selection; GPU paths run only where CUDA exists."""

import pickle

import numpy as np
import pytest
import torch

from sk_alrnn import ALRNNClassifier, ALRNNRegressor
from sk_alrnn._nn._training import resolve_device

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def test_auto_prefers_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto").type == "cpu"


def test_unknown_device_string_is_a_clear_error():
    with pytest.raises(ValueError, match="not a torch device"):
        resolve_device("tpu-please")


def test_device_parameter_accepts_torch_device(seq_data, fast_params):
    X, y, _ = seq_data
    reg = ALRNNRegressor(**fast_params, device=torch.device("cpu")).fit(X, y)
    assert reg.module_.W.device.type == "cpu"


@cuda
@pytest.mark.parametrize("Estimator", [ALRNNRegressor, ALRNNClassifier])
def test_gpu_fit_gives_a_cpu_model_close_to_a_cpu_fit(Estimator, seq_data, fast_params):
    X, y, labels = seq_data
    target = y if Estimator is ALRNNRegressor else labels
    params = {**fast_params, "dtype": "float64"}
    gpu = Estimator(**params, device="cuda").fit(X, target)
    cpu = Estimator(**params, device="cpu").fit(X, target)
    assert all(p.device.type == "cpu" for p in gpu.module_.parameters())
    restored = pickle.loads(pickle.dumps(gpu))
    np.testing.assert_array_equal(restored.predict(X), gpu.predict(X))
    method = "predict" if Estimator is ALRNNRegressor else "predict_proba"
    np.testing.assert_allclose(
        getattr(gpu, method)(X), getattr(cpu, method)(X), rtol=1e-6, atol=1e-8
    )
