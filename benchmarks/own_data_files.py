"""Synthetic own data: a weather table and a folder of short reviews, reproducible from a seed.

`python benchmarks/own_data_files.py` writes the small copies the project ships (`data/weather.csv`
and `data/reviews/`, used by `configs/csv_table.yaml` and `configs/text_folder.yaml`);
`benchmarks/own_tables_text.py` writes larger ones. The labels follow simple rules with some noise,
so a model can learn them but not perfectly, and accuracy says something.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEATHER_COLUMNS = [
    "temperature",
    "humidity",
    "pressure",
    "wind",
    "month",
    "station",
    "visibility_km",
    "weather",
]
STATIONS = ["harbour", "airport", "hill", "valley", "city"]
POSITIVE = "good great fun lovely excellent brilliant enjoyable superb moving charming".split()
NEGATIVE = "bad awful boring dull terrible poor weak clumsy tedious bland".split()
FILLER = (
    "the a movie film plot actor actress story scene was and it this with of script "
    "music ending director cast"
).split()


def weather_rows(count: int, seed: int = 0, noise: float = 0.08) -> list[list]:
    """Rows whose `weather` (rain, snow, sunny, cloudy) follows from the others, with noise."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        month = rng.randint(1, 12)
        winter = month in (12, 1, 2)
        temperature = round(rng.gauss(2 if winter else 16, 7), 1)
        humidity = rng.randint(20, 100)
        pressure = round(rng.gauss(1013, 9), 1)
        wind = rng.choice(["calm", "breeze", "gale"])
        if humidity > 75 and pressure < 1012:
            weather = "snow" if temperature < 1 else "rain"
        elif humidity > 60 or wind == "gale":
            weather = "cloudy"
        else:
            weather = "sunny"
        if rng.random() < noise:
            weather = rng.choice(["rain", "snow", "sunny", "cloudy"])
        visibility = round(
            max(0.2, 30 - humidity * 0.25 - (8 if wind == "gale" else 0) + rng.gauss(0, 1.5)), 2
        )
        rows.append(
            [
                temperature,
                humidity,
                pressure,
                wind,
                month,
                rng.choice(STATIONS),
                visibility,
                weather,
            ]
        )
    return rows


def write_weather(path: Path, count: int, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(WEATHER_COLUMNS)
        writer.writerows(weather_rows(count, seed))
    return path


def review(rng: random.Random, positive: bool, words: int = 40, noise: float = 0.1) -> str:
    """One review: filler words, some telling words, a few from the other side."""
    if rng.random() < noise:
        positive = not positive
    own, other = (POSITIVE, NEGATIVE) if positive else (NEGATIVE, POSITIVE)
    picks = []
    for _ in range(words):
        draw = rng.random()
        picks.append(rng.choice(own if draw < 0.12 else other if draw < 0.16 else FILLER))
    return " ".join(picks).capitalize() + "."


def write_reviews(root: Path, per_class: dict[str, int], seed: int = 0) -> Path:
    """`root/<split>/{neg,pos}/<n>.txt` for each split and its count of files per class."""
    rng = random.Random(seed)
    for split, count in per_class.items():
        for label in ("neg", "pos"):
            folder = root / split / label
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(count):
                (folder / f"{index:05d}.txt").write_text(
                    review(rng, label == "pos"), encoding="utf-8"
                )
    return root


if __name__ == "__main__":
    write_weather(ROOT / "data" / "weather.csv", 1200)
    write_reviews(ROOT / "data" / "reviews", {"train": 100, "test": 30})
    print("wrote data/weather.csv and data/reviews/")
