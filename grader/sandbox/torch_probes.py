"""What the probes of a PyTorch assignment share, on the child's side: the device with TF32
off, the parent's arrays as tensors, and results as plain CPU data.

A probes file imports it as `torch_probes` (the worker puts this folder on the child's path);
it holds no expectations, like the probes themselves.
"""
import torch


def on_device(device: str) -> torch.device:
    """`device` ("cpu" or "cuda"), with TF32 off so that CUDA results meet float32 tolerances."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return torch.device(device)


def as_tensor(array, dtype: str, device) -> torch.Tensor:
    """A NumPy array from the parent as a tensor of `dtype` ("float32", "float64", ...) on `device`."""
    return torch.as_tensor(array, device=device, dtype=getattr(torch, dtype))


def as_mask(mask, device):
    """A boolean mask from the parent as a torch.bool tensor on `device` (None stays None)."""
    return None if mask is None else torch.as_tensor(mask, device=device, dtype=torch.bool)


def plain(value):
    """Tensors as CPU NumPy arrays, tuples and lists as tuples, anything else described."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return (value if value.dtype in (torch.float32, torch.float64, torch.bool) else value.double()).numpy()
    if isinstance(value, (tuple, list)):
        return tuple(plain(v) for v in value)
    if value is None or type(value) in (bool, int, float):
        return value
    return f"<an object of type {type(value).__name__}>"
