"""GRU / LSTM / tanh baselines: same API and training as the AL-RNN estimators."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV

from sk_alrnn.baselines import RNNClassifier, RNNModule, RNNRegressor


@pytest.mark.parametrize("cell", ["gru", "lstm", "tanh"])
def test_each_cell_fits_predicts_and_is_reproducible(cell, seq_data):
    X, y, labels = seq_data
    params = dict(cell=cell, n_hidden=6, max_iter=3, random_state=0)
    a = RNNRegressor(**params).fit(X, y)
    b = RNNRegressor(**params).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert isinstance(
        a.module_.rnn,
        {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "tanh": torch.nn.RNN}[cell],
    )
    clf = RNNClassifier(**params).fit(X, labels)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)


def test_ragged_last_step_and_sequence_output(rng):
    X = [rng.normal(size=(n, 2)) for n in (3, 7, 5, 6)]
    reg = RNNRegressor(n_hidden=5, max_iter=2, random_state=0).fit(X, [1.0, 2, 3, 4])
    alone = np.concatenate([reg.predict([x]) for x in X])
    np.testing.assert_allclose(reg.predict(X), alone, rtol=1e-5, atol=1e-6)
    seq = RNNRegressor(n_hidden=5, max_iter=2, output="sequence", random_state=0)
    seq.fit(X, [x[:, 0] for x in X])
    assert [p.shape for p in seq.predict(X)] == [(3,), (7,), (5,), (6,)]


def test_baseline_has_no_alrnn_parameters_and_no_n_nonlinear(seq_data):
    X, y, _ = seq_data
    reg = RNNRegressor(n_hidden=4, max_iter=1, random_state=0).fit(X, y)
    assert "n_nonlinear" not in reg.get_params()
    with pytest.raises(TypeError, match="no AL-RNN parameters"):
        reg.get_alrnn_params()
    with pytest.raises(ValueError, match="cell"):
        RNNRegressor(cell="transformer").fit(X, y)


def test_alpha_penalises_weight_matrices_only():
    net = RNNModule("lstm", 2, 3, 1, generator=torch.Generator().manual_seed(0))
    assert all(p.dim() == 2 for p in net.penalized_parameters())
    assert len(net.penalized_parameters()) == 3  # W_ih, W_hh, readout


def test_grid_search_over_cells(seq_data):
    X, _, labels = seq_data
    search = GridSearchCV(
        RNNClassifier(n_hidden=4, max_iter=2, random_state=0),
        {"cell": ["gru", "lstm", "tanh"]},
        cv=2,
    ).fit(X, labels)
    assert search.best_params_["cell"] in {"gru", "lstm", "tanh"}
