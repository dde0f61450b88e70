"""Child-side calls for assignment 5: build the student's modules, load the parent's weights
by the names the assignment gives them, run them in the requested dtype on the requested
device, and return plain arrays on the CPU. The training probe runs the grader's own loop.

Inputs arrive as NumPy arrays; `dtype` is "float32" or "float64", `device` "cpu" or "cuda".
TF32 is off so that CUDA results meet the float32 tolerance. Probes hold no expectations.
"""
import torch
import torch.nn.functional as F
from torch_probes import as_mask, as_tensor, on_device, plain  # the engine's helpers, on the child's path


def tensor_facts(value) -> dict:
    """{"value", "dtype", "device"}: a returned tensor as plain data, and where and what it was."""
    if not isinstance(value, torch.Tensor):
        return {"value": plain(value), "dtype": None, "device": None}
    return {"value": plain(value), "dtype": str(value.dtype).replace("torch.", ""), "device": value.device.type}


def raised(module, name: str, *args):
    """The class names (most derived first) of the exception `module.<name>(*args)` raises,
    or None when it raises none."""
    target = module
    for part in name.split("."):
        target = getattr(target, part)
    try:
        target(*args)
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - which exception is the answer
        return [c.__name__ for c in type(err).__mro__]
    return None


def positional_encoding(module, seq_len, d_model):
    return tensor_facts(module.positional_encoding(seq_len, d_model))


def causal_mask(module, seq_len, device="cpu"):
    return tensor_facts(module.causal_mask(seq_len, device=on_device(device)))


def patchify(module, images, patch_size, device="cpu"):
    device = on_device(device)
    return plain(module.patchify(as_tensor(images, "float64", device), patch_size))


def patchify_error(module, shape, patch_size):
    """What `raised` says of patchify on zero images of `shape`."""
    return raised(module, "patchify", torch.zeros(shape), patch_size)


def layer_facts(module, d_model, num_heads, d_ff):
    """What the parent needs to judge `TransformerEncoderLayer.__init__`: each named part's
    class and its parameters' shapes."""
    layer = module.TransformerEncoderLayer(d_model, num_heads, d_ff)
    parts = {}
    for name in ("query", "key", "value", "out", "linear1", "linear2", "norm1", "norm2"):
        part = getattr(layer, name, None)
        parts[name] = {"kind": type(part).__name__ if part is not None else None,
                       "shapes": {n: list(p.shape) for n, p in part.named_parameters()}
                       if isinstance(part, torch.nn.Module) else {}}
    return {"is_module": isinstance(layer, torch.nn.Module), "parts": parts}


def _load(model, weights: dict, dtype: str, device) -> dict:
    """Move `model` to `device` and `dtype`, copy `weights` ({parameter name: array}) into its
    parameters of those names; returns the model's parameters by name."""
    model.to(device=device, dtype=getattr(torch, dtype))
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in weights.items():
            if name not in params or tuple(params[name].shape) != value.shape:
                found = tuple(params[name].shape) if name in params else "no such parameter"
                raise TypeError(f"the model needs a parameter {name} of shape {value.shape}, found {found}")
            params[name].copy_(as_tensor(value, dtype, device))
    return params


def encoder(module, d_model, num_heads, d_ff, weights, x, mask, dtype, device="cpu", dropout=0.0,
            upstream=None):
    """`TransformerEncoderLayer(d_model, num_heads, d_ff, dropout)` in eval mode with the parent's
    `weights`, run on x (B, S, d_model). Returns {"output", "grads": None or {"x", <parameter>}},
    the gradients being those of sum(output * upstream)."""
    device = on_device(device)
    layer = module.TransformerEncoderLayer(d_model, num_heads, d_ff, dropout)
    params = _load(layer, weights, dtype, device)
    layer.eval()
    x = as_tensor(x, dtype, device).requires_grad_(upstream is not None)
    output = layer(x) if mask is None else layer(x, as_mask(mask, device))
    grads = None
    if upstream is not None and isinstance(output, torch.Tensor) and tuple(output.shape) == upstream.shape:
        output.backward(as_tensor(upstream, dtype, device))
        grads = {"x": plain(x.grad), **{name: plain(params[name].grad) for name in weights}}
    return {"output": plain(output), "grads": grads}


def patch_embedding(module, in_channels, patch_size, d_model, weights, images, dtype, device="cpu"):
    device = on_device(device)
    embed = module.PatchEmbedding(in_channels, patch_size, d_model)
    _load(embed, weights, dtype, device)
    return plain(embed(as_tensor(images, dtype, device)))


def vit(module, config, weights, images, device="cpu"):
    """`VisionTransformer(**config)` in eval mode, in float64, with the parent's weights: its logits."""
    device = on_device(device)
    model = module.VisionTransformer(**config)
    _load(model, weights, "float64", device)
    model.eval()
    return plain(model(as_tensor(images, "float64", device)))


def train_vit(module, images, labels, steps, lr, seed, check_every, device="cpu"):
    """The grader's loop: `VisionTransformer()` made after torch.manual_seed(seed), full-batch
    Adam(lr) on the cross-entropy of (images, labels), for at most `steps` steps, stopping early
    once the training accuracy (every `check_every` steps) reaches 0.99.

    Returns {"params": {name: array}, "losses": [...], "steps"}: the parent measures the
    accuracy itself, by a separate call of `vit` on these parameters that is given no labels."""
    device = on_device(device)
    torch.manual_seed(seed)
    model = module.VisionTransformer().to(device)
    model.train()
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    x, y = as_tensor(images, "float32", device), torch.as_tensor(labels, device=device, dtype=torch.long)
    losses, step = [], 0
    for step in range(1, steps + 1):
        loss = F.cross_entropy(model(x), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(float(loss))
        if step % check_every == 0:
            with torch.no_grad():
                if float((model(x).argmax(dim=1) == y).float().mean()) >= 0.99:
                    break
    return {"params": {name: plain(p) for name, p in model.named_parameters()}, "losses": losses, "steps": step}
