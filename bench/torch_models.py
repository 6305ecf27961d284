"""The models of models/*.mdl as torch.nn modules, layer for layer.

Each module's state_dict has exactly the parameter names and shapes that
cnnc gives the compiled model ("c1.weight", "f6.bias", "logits.weight"), so
parameters saved by cnnc-bench --save-params (or a cnnc checkpoint)
load with load_state_dict(strict=True). Layers without parameters (tanh,
pooling, LRN, dropout) are applied functionally or held under names that
own no parameters, so they add no keys.
"""

import torch
from torch import nn
import torch.nn.functional as F


class LeNet5(nn.Module):
    """models/lenet5.mdl: classic LeNet-5 on 1x28x28 MNIST digits."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=5, padding=2)  # 6 x 28 x 28
        self.c3 = nn.Conv2d(6, 16, kernel_size=5)  # 16 x 10 x 10
        self.c5 = nn.Conv2d(16, 120, kernel_size=5)  # 120 x 1 x 1
        self.f6 = nn.Linear(120, 84)
        self.logits = nn.Linear(84, 10)

    def forward(self, image):
        s2 = F.avg_pool2d(torch.tanh(self.c1(image)), kernel_size=2)
        s4 = F.avg_pool2d(torch.tanh(self.c3(s2)), kernel_size=2)
        c5 = torch.tanh(self.c5(s4))
        f6 = torch.tanh(self.f6(torch.flatten(c5, 1)))
        return self.logits(f6)


class AlexNet(nn.Module):
    """models/alexnet.mdl: AlexNet (2012) as one tower on 3x227x227 images.

    LRN is PyTorch's LocalResponseNorm (alpha divided by size), as cnnc's
    lrn; dropout is active in training only, so it is the identity in eval
    mode, as in cnnc's inference.
    """

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 96, kernel_size=11, stride=4)  # 96x55x55
        self.c2 = nn.Conv2d(96, 256, kernel_size=5, padding=2)  # 256x27x27
        self.c3 = nn.Conv2d(256, 384, kernel_size=3, padding=1)  # 384x13x13
        self.c4 = nn.Conv2d(384, 384, kernel_size=3, padding=1)  # 384x13x13
        self.c5 = nn.Conv2d(384, 256, kernel_size=3, padding=1)  # 256x13x13
        self.f6 = nn.Linear(256 * 6 * 6, 4096)
        self.f7 = nn.Linear(4096, 4096)
        self.logits = nn.Linear(4096, 1000)
        self.lrn = nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0)
        self.dropout = nn.Dropout(p=0.5)

    def forward(self, image):
        c1 = F.relu(self.c1(image))
        p1 = F.max_pool2d(self.lrn(c1), kernel_size=3, stride=2)  # 96x27x27
        c2 = F.relu(self.c2(p1))
        p2 = F.max_pool2d(self.lrn(c2), kernel_size=3, stride=2)  # 256x13x13
        c3 = F.relu(self.c3(p2))
        c4 = F.relu(self.c4(c3))
        c5 = F.relu(self.c5(c4))
        p5 = F.max_pool2d(c5, kernel_size=3, stride=2)  # 256 x 6 x 6
        f6 = self.dropout(F.relu(self.f6(torch.flatten(p5, 1))))
        f7 = self.dropout(F.relu(self.f7(f6)))
        return self.logits(f7)


# Model name (as after `model` in the .mdl file) -> (class, input shape
# without the batch).
MODELS = {
    "lenet5": (LeNet5, (1, 28, 28)),
    "alexnet": (AlexNet, (3, 227, 227)),
}


def build(name):
    """A new model in eval mode and its input shape without the batch."""
    if name not in MODELS:
        raise SystemExit(
            f"unknown model '{name}' (known: {', '.join(sorted(MODELS))})")
    cls, input_shape = MODELS[name]
    return cls().eval(), input_shape
