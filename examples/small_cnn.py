"""A small CNN for trying the pytorch engine and `verify` (weights seeded, nothing downloaded):

    infermeter verify examples/small_cnn.py:make_model -e pytorch,openvino
    infermeter run examples/small_cnn.py:make_model -e openvino,pytorch --rounds 5 -api sync -t 2

x float32 [batch, 3, 64, 64] -> 10 scores per image. ``infermeter_inputs`` declares the input (its batch dim is
symbolic, so -b works); without it, give -shape.
"""

import torch
from torch import nn


class SmallCNN(nn.Module):
    infermeter_inputs = {"x": ("float32", ("batch", 3, 64, 64))}

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for width in (16, 32, 64, 128):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2)]
            channels = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(128 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.features(x), 1))


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return SmallCNN().eval()
