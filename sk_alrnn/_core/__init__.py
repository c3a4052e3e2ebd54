"""Numpy-only foundations: input validation, the unit layout, ALRNNParams, pandas
helpers (no torch).
"""
