"""The one table of training parameters: signatures, constraints and docs agree."""

import ast
import inspect
import re

import numpy as np
import pytest

from sk_alrnn import ALRNNClassifier, ALRNNRegressor
from sk_alrnn._estimators._param_table import SEQUENCE_PARAMS, documented_parameters
from sk_alrnn.baselines import RNNClassifier, RNNRegressor
from sk_alrnn.forecasting import ALRNNForecaster

ESTIMATORS = [
    ALRNNRegressor,
    ALRNNClassifier,
    RNNRegressor,
    RNNClassifier,
    ALRNNForecaster,
]


def _signature(cls):
    params = inspect.signature(cls.__init__).parameters
    return {name: p.default for name, p in params.items() if name != "self"}


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a):
        return np.isnan(b)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_signature_defaults_are_the_tables(cls):
    signature = _signature(cls)
    table = cls._param_table
    assert list(signature) == list(table)  # same names, same order
    wrong = {
        name: (default, table[name].default)
        for name, default in signature.items()
        if not _same(default, table[name].default)
    }
    assert not wrong, f"__init__ default != table default: {wrong}"


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_constraints_are_selected_from_the_table(cls):
    table = cls._param_table
    assert list(cls._parameter_constraints) == list(table)
    for name, p in table.items():
        assert cls._parameter_constraints[name] == p.constraints
    # every default satisfies its own constraints
    cls()._validate_params()


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_docstring_documents_exactly_the_init_parameters(cls):
    assert "{parameters}" not in cls.__doc__
    assert documented_parameters(cls.__doc__) == list(_signature(cls))
    for name, p in cls._param_table.items():
        assert f"\n    {name} : {p.type}\n" in cls.__doc__


def _literal(text):
    return {"np.inf": np.inf}.get(text) or ast.literal_eval(text)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_documented_defaults_are_the_tables(cls):
    for name, p in cls._param_table.items():
        match = re.search(r"default=(.+)$", p.type)
        assert match, f"{name}: type line {p.type!r} names no default"
        assert _same(_literal(match.group(1)), p.default), name


def test_forecaster_variants_are_explicit():
    table = ALRNNForecaster._param_table
    assert table["init"].default == "ar" != SEQUENCE_PARAMS["init"].default
    assert table["n_hidden"] is SEQUENCE_PARAMS["n_hidden"]  # shared entry
    assert "output" not in table and "activation" not in table
