"""Child-side calls for assignment 3: build the student's module, load the parent's weights,
run it in the requested dtype on the requested device, and return plain arrays on the CPU.

Inputs arrive as NumPy arrays; `dtype` is "float32" or "float64", `device` "cpu" or "cuda".
TF32 is off so that CUDA results meet the float32 tolerance. Probes hold no expectations.
"""
import torch
from torch_probes import as_mask, as_tensor, on_device, plain  # the engine's helpers, on the child's path

LAYERS = ("query", "key", "value", "out")


def tp_attn(module, hidden, heads, x, device="cpu"):
    device = on_device(device)
    return plain(module.MultiHeadSelfAttention(hidden, heads).to(device).tp_attn(as_tensor(x, "float64", device)))


def merge_heads(module, hidden, heads, x, device="cpu"):
    device = on_device(device)
    return plain(module.MultiHeadSelfAttention(hidden, heads).to(device).merge_heads(as_tensor(x, "float64", device)))


def sdpa(module, q, k, v, mask, dtype, device="cpu"):
    device = on_device(device)
    q, k, v = (as_tensor(t, dtype, device) for t in (q, k, v))
    return plain(module.scaled_dot_product_attention(q, k, v, as_mask(mask, device)))


def attributes(module, hidden, heads):
    """What the parent needs to judge `__init__`: plain facts about the built module."""
    model = module.MultiHeadSelfAttention(hidden, heads)
    layers = {}
    for name in LAYERS:
        layer = getattr(model, name, None)
        layers[name] = {"linear": isinstance(layer, torch.nn.Linear),
                        "weight": list(layer.weight.shape) if isinstance(layer, torch.nn.Linear) else None,
                        "bias": isinstance(layer, torch.nn.Linear) and layer.bias is not None}
    return {"is_module": isinstance(model, torch.nn.Module), "layers": layers,
            "num_heads": plain(getattr(model, "num_heads", None)),
            "attn_head_size": plain(getattr(model, "attn_head_size", None))}


def construct_error(module, hidden, heads):
    """The exception's class names (most derived first) `MultiHeadSelfAttention(hidden, heads)`
    raises, or None when it raises none."""
    try:
        module.MultiHeadSelfAttention(hidden, heads)
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - which exception is the answer
        return [c.__name__ for c in type(err).__mro__]
    return None


def _layer(model, name: str, hidden: int):
    layer = getattr(model, name, None)
    if not isinstance(layer, torch.nn.Linear) or layer.bias is None \
            or tuple(layer.weight.shape) != (hidden, hidden):
        raise TypeError(f"self.{name} must be nn.Linear({hidden}, {hidden}) with a bias, "
                        f"found {layer!r}"[:300])
    return layer


def mhsa(module, hidden, heads, dropout, weights, x, mask, dtype, device="cpu", train=False,
         seed=0, upstream=None):
    """`MultiHeadSelfAttention(hidden, heads, dropout)` with the parent's `weights`
    ({layer: {"weight": (H, H), "bias": (H,)}}) run on x (B, S, H) in eval or training mode.

    Returns {"result": (output, probs), "grads": None or {"x", "<layer>.weight", "<layer>.bias"}};
    the gradients are those of sum(output * upstream). `seed` starts torch's generator (the
    dropout masks of training mode); the parent draws it with the other inputs.
    """
    device = on_device(device)
    torch.manual_seed(seed)
    model = module.MultiHeadSelfAttention(hidden, heads, dropout).to(device=device, dtype=getattr(torch, dtype))
    model.train(train)
    with torch.no_grad():
        for name in LAYERS:
            layer = _layer(model, name, hidden)
            layer.weight.copy_(as_tensor(weights[name]["weight"], dtype, device))
            layer.bias.copy_(as_tensor(weights[name]["bias"], dtype, device))
    x = as_tensor(x, dtype, device).requires_grad_(upstream is not None)
    result = model(x) if mask is None else model(x, as_mask(mask, device))
    grads = None
    output = result[0] if isinstance(result, (tuple, list)) and result else None
    if upstream is not None and isinstance(output, torch.Tensor) and tuple(output.shape) == upstream.shape:
        output.backward(as_tensor(upstream, dtype, device))
        grads = {"x": plain(x.grad)}
        for name in LAYERS:
            layer = getattr(model, name)
            grads[f"{name}.weight"], grads[f"{name}.bias"] = plain(layer.weight.grad), plain(layer.bias.grad)
    return {"result": plain(result), "grads": grads}
