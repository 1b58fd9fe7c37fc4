"""The benchmark workloads in PyTorch: the same work as bench/workloads.ts.

Run: /usr/bin/python3 bench/workloads.py [--json] [--quick] [--threads N] [--only a,b] [--data DIR]

Written the way a PyTorch user writes it: nn.Module layers, F.cross_entropy,
torch.optim.Adam with optimizer.zero_grad() (1.13's default, set_to_none=False).
With --json it prints one JSON object of the same shape as workloads.ts.
"""
import argparse
import gzip
import json
import os
import platform
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# Keep these equal in workloads.ts and cpp/workloads.cpp (run.ts checks warmup and iterations).
SEED = 1
LR = 1e-3
STEP_BATCHES = 8
EPOCH_BATCH = 128
QUICK_EPOCH_SAMPLES = 3840
INFERENCE_BATCH = 1000
RESNET_BATCH = 128
LSTM_VOCAB = 64
LSTM_EMBED = 32
LSTM_HIDDEN = 128
LSTM_SEQ = 32
LSTM_BATCH = 32

PLANS = {
    "op_add": {"full": (100000, 200000, 10), "quick": (200, 2000, 5)},
    "op_add_grad": {"full": (100000, 200000, 10), "quick": (200, 2000, 5)},
    "ffn_step_16": {"full": (50, 1000, 10), "quick": (10, 100, 5)},
    "ffn_step_64": {"full": (50, 500, 10), "quick": (10, 50, 5)},
    "ffn_step_128": {"full": (50, 500, 10), "quick": (10, 50, 5)},
    "cnn_step_128": {"full": (5, 60, 6), "quick": (2, 10, 5)},
    "cnn_step_512": {"full": (3, 20, 5), "quick": (1, 5, 5)},
    "cnn_epoch": {"full": (0, 1, 1), "quick": (0, 1, 1)},
    "cnn_inference": {"full": (1, 5, 5), "quick": (1, 2, 2)},
    "cnn_inference_script": {"full": (1, 5, 5), "quick": (1, 2, 2)},
    "resnet_step_128": {"full": (2, 30, 5), "quick": (1, 4, 2)},
    "lstm_step_32": {"full": (5, 100, 5), "quick": (2, 10, 2)},
}


class Ffn(nn.Module):
    """The seed's feed-forward network: 784-128-10 with a ReLU."""

    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(784, 128)
        self.l2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.l2(F.relu(self.l1(x)))


class Cnn(nn.Module):
    """The seed's CNN (lib/nn/models.ts MnistCnn)."""

    def __init__(self):
        super().__init__()
        self.l1 = nn.Conv2d(1, 10, 5)
        self.l2 = nn.Conv2d(10, 20, 5)
        self.l3 = nn.Linear(320, 64)
        self.l4 = nn.Linear(64, 10)

    def forward(self, x):
        o = F.max_pool2d(self.l1(x), 2)
        o = F.max_pool2d(self.l2(o), 2)
        o = F.relu(self.l3(torch.flatten(o, 1)))
        return self.l4(o)


class BasicBlock(nn.Module):
    """torchvision's BasicBlock (lib/nn/residual.ts), built in the same order."""

    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        o = F.relu(self.bn1(self.conv1(x)))
        o = self.bn2(self.conv2(o))
        return F.relu(o + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    """The small residual CNN (lib/nn/models.ts MnistResNet, width 16)."""

    def __init__(self, width=16):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, 1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = BasicBlock(width, width, 1)
        self.layer2 = BasicBlock(width, 2 * width, 2)
        self.layer3 = BasicBlock(2 * width, 4 * width, 2)
        self.fc = nn.Linear(4 * width, 10)

    def forward(self, x):
        o = F.relu(self.bn1(self.conv1(x)))
        o = self.layer3(self.layer2(self.layer1(o)))
        return self.fc(o.mean((2, 3)))


class LstmModel(nn.Module):
    """Embedding -> LSTM (batch first) -> Linear: next-token scores [batch*seq, vocab]."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(LSTM_VOCAB, LSTM_EMBED)
        self.lstm = nn.LSTM(LSTM_EMBED, LSTM_HIDDEN, batch_first=True)
        self.fc = nn.Linear(LSTM_HIDDEN, LSTM_VOCAB)

    def forward(self, tokens):
        output, _ = self.lstm(self.emb(tokens))
        return self.fc(output).view(-1, LSTM_VOCAB)


def lcg_tokens(count):
    """The top bits of a 31-bit LCG (glibc's constants) from seed 1, mod 64, as in workloads.ts."""
    tokens = []
    state = 1
    for _ in range(count):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        tokens.append((state >> 16) % LSTM_VOCAB)
    return tokens


def read_idx(path):
    """An IDX file (plain or gzipped) of unsigned bytes as a uint8 tensor."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, f"{path}: not an unsigned-byte IDX file"
    shape = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    return torch.from_numpy(array.copy())


def find(directory, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"cannot find {stem} in {directory}")


def load_mnist(directory, split="train"):
    """As torchffi's loadMnist: x [N, 784] float32 in [0, 1], y [N] int64."""
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(find(directory, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(find(directory, f"{prefix}-labels-idx1-ubyte"))
    n, rows, cols = images.shape
    return images.view(n, rows * cols).to(torch.float32).div(255), labels.to(torch.int64)


def time_loop(plan, body):
    warmup, iterations, chunks = plan
    i = 0
    for _ in range(warmup):
        body(i)
        i += 1
    per_chunk = iterations // chunks
    samples = []
    for _ in range(chunks):
        start = time.perf_counter()
        for _ in range(per_chunk):
            body(i)
            i += 1
        samples.append((time.perf_counter() - start) * 1e6 / per_chunk)
    return samples


def result(plan, samples, loss, **info):
    warmup, iterations, chunks = plan
    return {"warmup": warmup, "iterations": iterations, "chunks": chunks, "samples_us": samples, "loss": loss, "info": info}


def op_add(plan, requires_grad):
    """Per-op cost: a.add(b) on 2x2 tensors, the result freed at once."""
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=requires_grad)
    b = torch.tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=requires_grad)
    warmup, iterations, chunks = plan
    for _ in range(warmup):
        c = a.add(b)
        del c
    per_chunk = iterations // chunks
    samples = []
    for _ in range(chunks):
        start = time.perf_counter()
        for _ in range(per_chunk):
            c = a.add(b)
            del c
        samples.append((time.perf_counter() - start) * 1e6 / per_chunk)
    return result(plan, samples, None)


def training_steps(plan, x, y, batch, make_model, target_of=lambda yb: yb):
    """Forward, cross-entropy, backward, one Adam step, loss read back; batch i mod 8."""
    xs = [x.narrow(0, k * batch, batch) for k in range(STEP_BATCHES)]
    ys = [target_of(y.narrow(0, k * batch, batch)) for k in range(STEP_BATCHES)]
    torch.manual_seed(SEED)
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss = [float("nan")]

    def step(i):
        k = i % STEP_BATCHES
        optimizer.zero_grad()
        l = F.cross_entropy(model(xs[k]), ys[k])
        l.backward()
        optimizer.step()
        loss[0] = l.item()

    samples = time_loop(plan, step)
    return result(plan, samples, loss[0], batch=batch, steps=plan[0] + plan[1])


def lstm_steps(plan):
    """LSTM training steps: batch k of 8 holds 32 windows of 33 tokens (input, then targets shifted by one)."""
    window = LSTM_SEQ + 1
    stream = lcg_tokens(STEP_BATCHES * LSTM_BATCH * window)
    windows = torch.tensor(stream, dtype=torch.int64).view(STEP_BATCHES * LSTM_BATCH, window)
    x = windows[:, :LSTM_SEQ].contiguous()
    y = windows[:, 1:].contiguous()
    r = training_steps(plan, x, y, LSTM_BATCH, LstmModel, lambda yb: yb.reshape(-1))
    r["info"].update(seq=LSTM_SEQ, hidden=LSTM_HIDDEN)
    return r


def cnn_epoch(plan, x, y):
    """One epoch with batch 128, shuffled with randperm: the loop train() runs."""
    history = []

    def epoch(_):
        torch.manual_seed(SEED)
        model = Cnn()
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        n = x.shape[0]
        order = torch.randperm(n)
        total = 0.0
        for start in range(0, n, EPOCH_BATCH):
            size = min(EPOCH_BATCH, n - start)
            index = order.narrow(0, start, size)
            xb = x.index_select(0, index)
            yb = y.index_select(0, index)
            optimizer.zero_grad()
            l = F.cross_entropy(model(xb), yb)
            l.backward()
            optimizer.step()
            total += l.item() * size
        history.append(total / n)

    samples = time_loop(plan, epoch)
    n = x.shape[0]
    return result(plan, samples, history[-1], batch=EPOCH_BATCH, images=n, steps=(n + EPOCH_BATCH - 1) // EPOCH_BATCH)


def predict_classes(model, x):
    with torch.no_grad():
        parts = [model(x.narrow(0, s, min(INFERENCE_BATCH, x.shape[0] - s))).argmax(-1) for s in range(0, x.shape[0], INFERENCE_BATCH)]
        return parts[0] if len(parts) == 1 else torch.cat(parts)


def cnn_inference(plan, x, y):
    """Predicted classes of the test images, batches of 1000, no grad; untimed test loss."""
    torch.manual_seed(SEED)
    model = Cnn()
    samples = time_loop(plan, lambda _: predict_classes(model, x))
    with torch.no_grad():
        logits = torch.cat([model(x.narrow(0, s, min(INFERENCE_BATCH, x.shape[0] - s))) for s in range(0, x.shape[0], INFERENCE_BATCH)])
        loss = F.cross_entropy(logits, y).item()
        correct = predict_classes(model, x).eq(y).sum().item()
    return result(plan, samples, loss, batch=INFERENCE_BATCH, images=x.shape[0], accuracy=correct / x.shape[0])


SCRIPT_DEFAULT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "bench", "cnn_script.pt")


def save_script(path):
    """The seeded CNN, scripted: what every implementation's cnn_inference_script loads."""
    torch.manual_seed(SEED)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.jit.save(torch.jit.script(Cnn()), path)


def cnn_inference_script(plan, x, y, path):
    """cnn_inference through the same model loaded with torch.jit.load."""
    model = torch.jit.load(path)
    model.eval()
    samples = time_loop(plan, lambda _: predict_classes(model, x))
    with torch.no_grad():
        logits = torch.cat([model(x.narrow(0, s, min(INFERENCE_BATCH, x.shape[0] - s))) for s in range(0, x.shape[0], INFERENCE_BATCH)])
        loss = F.cross_entropy(logits, y).item()
        correct = predict_classes(model, x).eq(y).sum().item()
    return result(plan, samples, loss, batch=INFERENCE_BATCH, images=x.shape[0], accuracy=correct / x.shape[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default=None)
    parser.add_argument("--data", default=os.environ.get("TORCHFFI_DATA") or "/usr/share/datasets/fashion-mnist")
    parser.add_argument("--script", default=SCRIPT_DEFAULT, help="the scripted CNN for cnn_inference_script")
    parser.add_argument("--save-script", action="store_true", help="write the scripted CNN to --script and exit")
    args = parser.parse_args()
    if args.save_script:
        save_script(args.script)
        return
    only = args.only.split(",") if args.only else None
    for name in only or []:
        if name not in PLANS:
            parser.error(f"unknown workload {name}")
    torch.set_num_threads(args.threads)

    def plan(name):
        if only is not None and name not in only:
            return None
        return PLANS[name]["quick" if args.quick else "full"]

    results = {}

    def run(name, work):
        p = plan(name)
        if p is None:
            return
        r = work(p)
        results[name] = r
        if not args.json:
            median = sorted(r["samples_us"])[len(r["samples_us"]) // 2]
            print(f"{name:14} {median:12.2f} us/iter  loss {r['loss'] if r['loss'] is not None else '-'}")

    run("op_add", lambda p: op_add(p, False))
    run("op_add_grad", lambda p: op_add(p, True))

    training = ["ffn_step_16", "ffn_step_64", "ffn_step_128", "cnn_step_128", "cnn_step_512", "cnn_epoch", "resnet_step_128"]
    if any(plan(name) is not None for name in training):
        x, y = load_mnist(args.data)
        images = x.view(-1, 1, 28, 28)
        for batch in (16, 64, 128):
            run(f"ffn_step_{batch}", lambda p, b=batch: training_steps(p, x, y, b, Ffn))
        for batch in (128, 512):
            run(f"cnn_step_{batch}", lambda p, b=batch: training_steps(p, images, y, b, Cnn))
        n = QUICK_EPOCH_SAMPLES if args.quick else images.shape[0]
        run("cnn_epoch", lambda p: cnn_epoch(p, images.narrow(0, 0, n), y.narrow(0, 0, n)))
        run("resnet_step_128", lambda p: training_steps(p, images, y, RESNET_BATCH, ResNet))

    run("lstm_step_32", lstm_steps)

    if plan("cnn_inference") is not None or plan("cnn_inference_script") is not None:
        tx, ty = load_mnist(args.data, "test")
        run("cnn_inference", lambda p: cnn_inference(p, tx.view(-1, 1, 28, 28), ty))
        if plan("cnn_inference_script") is not None and not os.path.exists(args.script):
            save_script(args.script)
        run("cnn_inference_script", lambda p: cnn_inference_script(p, tx.view(-1, 1, 28, 28), ty, args.script))

    if args.json:
        print(json.dumps({
            "implementation": "pytorch",
            "runtime": f"Python {platform.python_version()}, torch {torch.__version__}",
            "threads": torch.get_num_threads(),
            "quick": args.quick,
            "workloads": results,
        }))


if __name__ == "__main__":
    main()
