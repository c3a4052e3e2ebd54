"""The estimators' shared machinery: BaseALRNN, the fit machinery, the parameter table,
the regressor and classifier.
"""
