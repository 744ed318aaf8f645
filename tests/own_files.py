"""Real CSV tables and text folders for the own-data tests, written by the tests themselves."""

from __future__ import annotations

import csv
import random
from pathlib import Path

WEATHER_HEADER = ["temp", "humidity", "wind", "weekday", "weather", "fahrenheit"]
POSITIVE = "good great fun lovely excellent brilliant enjoyable superb".split()
NEGATIVE = "bad awful boring dull terrible poor weak ugly".split()
FILLER = "the a movie film plot actor story scene was and it".split()


def weather_rows(count: int, seed: int = 0) -> list[list]:
    """Rows whose `weather` follows from humidity and temperature (learnable in a few epochs)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        temp, humidity = round(rng.uniform(-5, 35), 1), rng.randint(10, 100)
        weather = "rain" if humidity > 70 else ("snow" if temp < 2 else "sunny")
        rows.append(
            [
                temp,
                humidity,
                rng.choice(["calm", "breeze", "gale"]),
                rng.randint(1, 7),
                weather,
                round(temp * 1.8 + 32 + rng.gauss(0, 0.5), 2),
            ]
        )
    return rows


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_weather(directory: Path, train: int = 240, test: int = 60) -> tuple[Path, Path]:
    """`train.csv` and `test.csv` of weather rows in `directory`."""
    rows = weather_rows(train + test)
    return (
        write_csv(directory / "train.csv", WEATHER_HEADER, rows[:train]),
        write_csv(directory / "test.csv", WEATHER_HEADER, rows[train:]),
    )


def write_reviews(root: Path, per_class: dict[str, int] | None = None, seed: int = 0) -> Path:
    """`root/train/{neg,pos}/*.txt` and `root/test/...`: short reviews with telling words."""
    rng = random.Random(seed)
    for split, count in (per_class or {"train": 60, "test": 20}).items():
        for label, words in (("pos", POSITIVE), ("neg", NEGATIVE)):
            folder = root / split / label
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(count):
                text = " ".join(
                    rng.choice(words if rng.random() < 0.3 else FILLER) for _ in range(20)
                )
                (folder / f"{index}.txt").write_text(text, encoding="utf-8")
    return root


def csv_config(train: Path, test: Path | None = None, **data) -> dict:
    """A tiny classifier over a weather table (kinds inferred unless `features` is given)."""
    return {
        "name": "table",
        "seed": 1,
        "data": {
            "source": "csv",
            "train": str(train),
            **({"test": str(test)} if test else {}),
            "target": "weather",
            **data,
        },
        "model": {
            "layers": [
                {"Dense": {"units": 16, "activation": "relu"}},
                {"Dense": {"units": 3, "activation": "softmax"}},
            ]
        },
        "compile": {
            "optimizer": {"Adam": {"learning_rate": 0.02}},
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        },
        "fit": {"epochs": 8, "batch_size": 32},
    }


def text_config(root: Path, **data) -> dict:
    """A tiny embedding model over a text folder."""
    return {
        "name": "text",
        "seed": 1,
        "data": {"source": "text", "path": str(root), **data},
        "model": {
            "layers": [
                {"TextVectorization": {"max_tokens": 200, "output_sequence_length": 24}},
                {"Embedding": {"input_dim": 200, "output_dim": 8}},
                "GlobalAveragePooling1D",
                {"Dense": {"units": 2, "activation": "softmax"}},
            ]
        },
        "compile": {
            "optimizer": {"Adam": {"learning_rate": 0.02}},
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        },
        "fit": {"epochs": 4, "batch_size": 16},
    }
