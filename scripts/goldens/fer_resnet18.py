"""PyTorch definition of fer-resnet18(w) (see workloads.md), with torchvision's
state-dict names, so weights can move between PyTorch and fer-gpu as safetensors.

    /usr/bin/python3 fer_resnet18.py 16      # prints parameter count and tensor names
"""
# Copied verbatim from the project spec (/work/shared/spec/fer_resnet18.py) so the golden scripts
# do not depend on ../shared. Keep the two in sync.
import sys

import torch
import torch.nn as nn


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + shortcut)


class FerResNet18(nn.Module):
    def __init__(self, width=64, num_classes=7, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        cin = width
        for i, mult in enumerate([1, 2, 4, 8]):
            cout = width * mult
            stride = 1 if i == 0 else 2
            setattr(self, f"layer{i + 1}",
                    nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        self.fc = nn.Linear(8 * width, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(x.mean((2, 3), keepdim=True), 1))


if __name__ == "__main__":
    model = FerResNet18(int(sys.argv[1]) if len(sys.argv) > 1 else 64)
    print(sum(p.numel() for p in model.parameters()), "parameters")
    for name, t in model.state_dict().items():
        print(name, tuple(t.shape))
