#!/usr/bin/python3
"""The Python half of examples/pytorch_model.ts: a model trained in PyTorch,
handed to torchffi, and taken back.

    /usr/bin/python3 examples/pytorch_model.py train OUT_DIR [DATA_DIR] [LIMIT]
        trains the seed's CNN on Fashion-MNIST for one epoch (the first LIMIT
        training images, default all) and writes OUT_DIR/cnn.pt (TorchScript)
        and OUT_DIR/cnn.safetensors (its state dict);
    /usr/bin/python3 examples/pytorch_model.py eval MODEL.pt [DATA_DIR]
        prints the test accuracy of a TorchScript model (the one torchffi
        fine-tuned and saved, for instance).
"""
import gzip
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)


class Cnn(nn.Module):
    """The seed's CNN, with the attribute names torchffi's MnistCnn gives its layers."""

    def __init__(self):
        super().__init__()
        self.l1 = nn.Conv2d(1, 10, 5)
        self.l2 = nn.Conv2d(10, 20, 5)
        self.l3 = nn.Linear(320, 64)
        self.l4 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(self.l1(x), 2)
        x = F.max_pool2d(self.l2(x), 2)
        return self.l4(F.relu(self.l3(x.flatten(1))))


def read_idx(data_dir, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            raw = (gzip.open if name.endswith(".gz") else open)(path, "rb").read()
            ndim = raw[3]
            dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
            return torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)
    sys.exit(f"cannot find {stem} in {data_dir}")


def mnist(data_dir, split):
    images = read_idx(data_dir, f"{split}-images-idx3-ubyte").float().div(255).reshape(-1, 1, 28, 28)
    labels = read_idx(data_dir, f"{split}-labels-idx1-ubyte").long()
    return images, labels


def save_safetensors(tensors, path):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - (8 + len(raw)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))


def accuracy(model, images, labels):
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(images[i:i + 1000]).argmax(-1) for i in range(0, len(images), 1000)])
    return (predicted == labels).double().mean().item()


default_data = os.environ.get("TORCHFFI_DATA", "/usr/share/datasets/fashion-mnist")
if len(sys.argv) >= 3 and sys.argv[1] == "train":
    out_dir, data_dir = sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else default_data
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else None
    x, y = mnist(data_dir, "train")
    x, y = x[:limit], y[:limit]
    torch.manual_seed(0)
    model = Cnn()
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(x))
    for start in range(0, len(x), 32):
        batch = order[start:start + 32]
        adam.zero_grad()
        F.cross_entropy(model(x[batch]), y[batch]).backward()
        adam.step()
    os.makedirs(out_dir, exist_ok=True)
    torch.jit.save(torch.jit.script(model), os.path.join(out_dir, "cnn.pt"))
    save_safetensors(model.state_dict(), os.path.join(out_dir, "cnn.safetensors"))
    tx, ty = mnist(data_dir, "t10k")
    print(f"PyTorch: test accuracy {accuracy(model, tx, ty):.4f}; wrote cnn.pt and cnn.safetensors to {out_dir}")
elif len(sys.argv) >= 3 and sys.argv[1] == "eval":
    data_dir = sys.argv[3] if len(sys.argv) > 3 else default_data
    tx, ty = mnist(data_dir, "t10k")
    print(f"PyTorch: test accuracy {accuracy(torch.jit.load(sys.argv[2]), tx, ty):.4f}")
else:
    sys.exit(__doc__)
