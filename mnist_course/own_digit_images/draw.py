"""Draw the course's own digits: strokes of a round pen on white paper, dark ink, off-centre.

Run ``python mnist_course/own_digit_images/draw.py`` to write the PNG files again; the output
is the same every time (no randomness).
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

HEIGHT, WIDTH, PEN = 64, 48, 2.6

# Each digit: its label and its strokes, lists of (row, column) points on the 64x48 page
STROKES = {
    "seven": (7, [[(8, 6), (9, 30), (10, 34), (38, 18), (56, 12)], [(30, 14), (30, 30)]]),
    "one": (1, [[(16, 14), (8, 22), (56, 20)]]),
    "zero": (
        0,
        [[(34 + 20 * np.sin(t), 18 + 11 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 60)]],
    ),
}


def draw(strokes):
    """Ink (0 paper, 1 full ink) of strokes drawn with a round pen of radius PEN."""
    rows, cols = np.indices((HEIGHT, WIDTH))
    ink = np.zeros((HEIGHT, WIDTH))
    for stroke in strokes:
        for (r0, c0), (r1, c1) in zip(stroke, stroke[1:], strict=False):
            for t in np.linspace(0, 1, 40):
                r, c = r0 + t * (r1 - r0), c0 + t * (c1 - c0)
                distance = np.hypot(rows - r, cols - c)
                ink = np.maximum(ink, np.clip(PEN + 0.5 - distance, 0, 1))
    return ink


if __name__ == "__main__":
    folder = Path(__file__).parent
    for name, (label, strokes) in STROKES.items():
        paper = np.round(255 * (1 - draw(strokes))).astype(np.uint8)
        plt.imsave(folder / f"{label}_{name}.png", paper, cmap="gray", vmin=0, vmax=255)
