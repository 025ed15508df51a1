#!/usr/bin/env python3
"""Per-epoch learning rates of nn's schedules at their defaults, from the closed forms that
torch.optim.lr_scheduler documents (no torch needed), for Tests/NNRuntimeTests/ScheduleTests
and the golden Golden/training/history_records_the_learning_rate.nn.

  StepLR(step_size, gamma=0.1):     lr * gamma ** (epoch // step_size)
  ExponentialLR(gamma):             lr * gamma ** epoch
  CosineAnnealingLR(T_max, eta_min=0):
                                    eta_min + (lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
  warmup(epochs=E, then) = SequentialLR([LinearLR(start_factor=1/E, total_iters=E-1), then],
                                        milestones=[E]):  lr * (epoch + 1) / E for epoch < E
"""
import math


def step(lr, epoch, every=10, gamma=0.1):
    return lr * gamma ** (epoch // every)


def exponential(lr, epoch, gamma=0.9):
    return lr * gamma ** epoch


def cosine(lr, epoch, total, minimum=0.0):
    return minimum + (lr - minimum) * (1 + math.cos(math.pi * min(epoch, total) / total)) / 2


def warmup(lr, epoch, total, epochs=2, then=None):
    if epoch < epochs:
        return lr * (epoch + 1) / epochs
    return then(lr, epoch - epochs, total - epochs) if then else lr


if __name__ == "__main__":
    print("step(every: 3), lr 0.1:", [step(0.1, e, every=3) for e in range(10)])
    print("exponential(), lr 0.1:", [exponential(0.1, e) for e in range(5)])
    print("cosine(), lr 0.1, 6 epochs:", [cosine(0.1, e, 6) for e in range(6)])
    print("warmup(epochs: 2, then: cosine()), lr 0.1, 6 epochs:",
          [warmup(0.1, e, 6, then=cosine) for e in range(6)])
