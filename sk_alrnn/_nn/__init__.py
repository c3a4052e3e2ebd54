"""The torch layer: the AL-RNN module, the training loop, the optimizer and the rollout
kernels (no scikit-learn).
"""
