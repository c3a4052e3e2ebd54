"""Adam on torch's fused kernel, without ``torch.optim``.

Why not ``torch.optim.Adam(fused=True)``: building any ``torch.optim.Optimizer``
imports ``torch._dynamo`` (and sympy with it), which costs about 3 s and 55 MiB in
every fresh process, i.e. in the first fit of each joblib worker of a grid search.
:class:`FusedAdam` calls the same kernel (``torch._fused_adam_``) that
``torch.optim.Adam(fused=True)`` calls, so its updates are bitwise the same, and it
keeps its state in ``torch.optim.Adam``'s ``state_dict`` layout, so states move
between the two. Where the kernel is missing (old torch, other devices),
:func:`make_adam` falls back to ``torch.optim.Adam``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import torch
from torch import nn

_FUSED_DEVICES = ("cpu", "cuda")


class FusedAdam:
    """Adam (no weight decay, no amsgrad) over one list of parameters.

    Supports what the training loop uses: ``step``, ``zero_grad``,
    ``param_groups[0]["lr"]``, ``state_dict`` and ``load_state_dict``.

    Parameters
    ----------
    params : iterable of torch.nn.Parameter
        The parameters to train (one device, one floating dtype).
    lr : float
        Learning rate.
    betas : tuple of float, default=(0.9, 0.999)
        Decay rates of the first and second moment estimates.
    eps : float, default=1e-8
        Added to the root of the second moment.

    Examples
    --------
    >>> import torch
    >>> w = torch.nn.Parameter(torch.ones(3))
    >>> opt = FusedAdam([w], lr=0.1)
    >>> w.grad = torch.ones(3)
    >>> opt.step()
    >>> w.detach()
    tensor([0.9000, 0.9000, 0.9000])
    """

    def __init__(
        self,
        params: Iterable[nn.Parameter],
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = list(params)
        self.param_groups = [
            # The keys of torch.optim.Adam(fused=True)'s group, so state_dicts match.
            {
                "lr": lr,
                "betas": betas,
                "eps": eps,
                "weight_decay": 0.0,
                "amsgrad": False,
                "maximize": False,
                "foreach": None,
                "capturable": False,
                "differentiable": False,
                "fused": True,
                "decoupled_weight_decay": False,
                "params": self.params,
            }
        ]
        self.state: dict[int, dict[str, torch.Tensor]] = {}  # by parameter index

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop (or zero) every parameter's gradient."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        """One Adam update of every parameter that has a gradient."""
        group = self.param_groups[0]
        params, grads, exp_avgs, exp_avg_sqs, steps = [], [], [], [], []
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            state = self.state.get(i)
            if state is None:
                state = self.state[i] = {
                    "step": torch.zeros((), dtype=torch.float32, device=p.device),
                    "exp_avg": torch.zeros_like(p),
                    "exp_avg_sq": torch.zeros_like(p),
                }
            params.append(p)
            grads.append(p.grad)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            steps.append(state["step"])
        if not params:
            return
        torch._foreach_add_(steps, 1)
        beta1, beta2 = group["betas"]
        torch._fused_adam_(
            params,
            grads,
            exp_avgs,
            exp_avg_sqs,
            [],  # max_exp_avg_sqs: amsgrad is off
            steps,
            lr=float(group["lr"]),
            beta1=beta1,
            beta2=beta2,
            weight_decay=0.0,
            eps=group["eps"],
            amsgrad=False,
            maximize=False,
        )

    def state_dict(self) -> dict:
        """State in ``torch.optim.Adam``'s layout (tensors are not copied)."""
        group = {k: v for k, v in self.param_groups[0].items() if k != "params"}
        group["params"] = list(range(len(self.params)))
        return {"state": dict(self.state), "param_groups": [group]}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state from :meth:`state_dict` or from ``torch.optim.Adam``."""
        (group,) = state_dict["param_groups"]
        if len(group["params"]) != len(self.params):
            raise ValueError(
                f"optimizer state for {len(group['params'])} parameters, but the "
                f"model has {len(self.params)}."
            )
        for key in ("lr", "betas", "eps"):
            if key in group:
                self.param_groups[0][key] = group[key]
        self.state = {}
        for slot, i in enumerate(group["params"]):
            saved = state_dict["state"].get(i)
            if saved is None:
                continue
            p = self.params[slot]
            self.state[slot] = {
                "step": torch.as_tensor(saved["step"], dtype=torch.float32)
                .to(p.device)
                .clone()
                .reshape(()),
                "exp_avg": saved["exp_avg"].to(p.device, p.dtype).clone(),
                "exp_avg_sq": saved["exp_avg_sq"].to(p.device, p.dtype).clone(),
            }


@cache
def _fused_kernel_runs(device: torch.device, dtype: torch.dtype) -> bool:
    """Whether ``torch._fused_adam_`` runs on this device and dtype (one tiny step).

    It exists for CUDA since torch 2.0 but for the CPU only since 2.4; asking
    the kernel itself is the one check that holds for every build.
    """
    if not hasattr(torch, "_fused_adam_") or device.type not in _FUSED_DEVICES:
        return False
    p = torch.zeros(1, device=device, dtype=dtype)
    state = [torch.zeros_like(p), torch.zeros_like(p)]
    step = torch.ones((), device=device, dtype=torch.float32)
    try:
        torch._fused_adam_(
            [p], [torch.ones_like(p)], [state[0]], [state[1]], [], [step],
            lr=0.1, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8,
            amsgrad=False, maximize=False,
        )  # fmt: skip
    except (NotImplementedError, RuntimeError):
        return False
    return True


def make_adam(module: nn.Module, lr: float):
    """Adam for ``module``: :class:`FusedAdam` where the kernel runs, else torch's.

    Examples
    --------
    >>> import torch
    >>> make_adam(torch.nn.Linear(2, 1), 1e-3).param_groups[0]["lr"]
    0.001
    """
    params = list(module.parameters())
    kinds = {(p.device, p.dtype) for p in params}
    if kinds and all(_fused_kernel_runs(*kind) for kind in kinds):
        return FusedAdam(params, lr=lr)
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError):  # older torch or an unsupported device
        return torch.optim.Adam(params, lr=lr, foreach=True)
