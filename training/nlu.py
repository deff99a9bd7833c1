"""What a trainee advisor's line does: a small multi-label classifier of script steps.

Character n-gram TF-IDF and one-vs-rest logistic regression, trained at first use from
training/data/advisor_lines.yml (one clause per example, many wordings per step). Pure
Python: the app runtime has no numpy/scikit-learn, and a few hundred short clauses train
in well under a second (README, "Phone-script training"). A line is split into clauses;
a step is performed when any clause (or the whole line) scores at least ``threshold``.
"""
from __future__ import annotations

import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA_PATH = Path(__file__).resolve().parent / "data" / "advisor_lines.yml"
NGRAMS = (1, 2, 3)
_CLAUSE_SPLIT = re.compile(r"[,，。.!！?？;；、\s~～…]+")
_DIGITS = re.compile(r"\d+")
_PUNCT = re.compile(r"[^\w\u4e00-\u9fff]+")
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def normalise(text: str) -> str:
    """Full-width to half-width, digits to 0, no punctuation or spaces, lower case."""
    text = text.translate(_FULLWIDTH).lower()
    return _PUNCT.sub("", _DIGITS.sub("0", text))


def clauses(text: str) -> list[str]:
    return [part for part in (normalise(p) for p in _CLAUSE_SPLIT.split(text)) if part]


def ngrams(clause: str) -> Counter[str]:
    padded = f"^{clause}$"
    grams: Counter[str] = Counter()
    for n in NGRAMS:
        for start in range(len(padded) - n + 1):
            gram = padded[start:start + n]
            if gram not in ("^", "$"):
                grams[gram] += 1
    return grams


@dataclass
class StepClassifier:
    labels: tuple[str, ...]
    idf: dict[str, float]
    weights: dict[str, dict[str, float]]  # label -> feature -> weight
    bias: dict[str, float]
    threshold: float = 0.6

    def vector(self, clause: str) -> dict[str, float]:
        grams = ngrams(clause)
        vec = {g: (1.0 + math.log(c)) * self.idf[g] for g, c in grams.items() if g in self.idf}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items()}

    def clause_scores(self, clause: str) -> dict[str, float]:
        vec = self.vector(clause)
        scores = {}
        for label in self.labels:
            weights = self.weights[label]
            z = self.bias[label] + sum(v * weights.get(g, 0.0) for g, v in vec.items())
            scores[label] = _sigmoid(z)
        return scores

    def scores(self, text: str) -> dict[str, float]:
        """Each label's best score over the line's clauses and the whole line."""
        parts = clauses(text)
        whole = normalise(text)
        if whole and whole not in parts:
            parts.append(whole)
        best = dict.fromkeys(self.labels, 0.0)
        for part in parts:
            for label, score in self.clause_scores(part).items():
                best[label] = max(best[label], score)
        return best

    def predict(self, text: str) -> set[str]:
        return {label for label, score in self.scores(text).items() if score >= self.threshold and label != "none"}


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def train(examples: list[tuple[str, str]], epochs: int = 8, rate: float = 0.5, l2: float = 1e-4,
          seed: int = 13) -> StepClassifier:
    """One-vs-rest logistic regression by SGD over (clause, label) examples; each label's
    positives weighted up to balance its negatives. Deterministic for a given seed."""
    labels = tuple(sorted({label for _, label in examples}))
    docs = [(ngrams(normalise(text)), label) for text, label in examples]
    df: Counter[str] = Counter()
    for grams, _ in docs:
        df.update(grams.keys())
    n = len(docs)
    idf = {g: math.log((1 + n) / (1 + c)) + 1.0 for g, c in df.items()}
    model = StepClassifier(labels=labels, idf=idf, weights={l: {} for l in labels}, bias=dict.fromkeys(labels, 0.0))
    data = [(model.vector(normalise(text)), label) for text, label in examples]
    counts = Counter(label for _, label in data)
    rng = random.Random(seed)
    order = list(range(n))
    for epoch in range(epochs):
        rng.shuffle(order)
        step = rate / (1.0 + epoch * 0.2)
        for index in order:
            vec, gold = data[index]
            for label in labels:
                weights = model.weights[label]
                z = model.bias[label] + sum(v * weights.get(g, 0.0) for g, v in vec.items())
                positive = label == gold
                target = 1.0 if positive else 0.0
                weight = n / (2 * counts[label]) if positive else n / (2 * (n - counts[label]))
                grad = (_sigmoid(z) - target) * weight
                if abs(grad) < 1e-4:
                    continue
                for g, v in vec.items():
                    weights[g] = weights.get(g, 0.0) * (1 - step * l2) - step * grad * v
                model.bias[label] -= step * grad
    return model


def load_examples(path: Path = DATA_PATH) -> list[tuple[str, str]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["lines"]
    return [(text, label) for label, texts in raw.items() for text in texts]


@lru_cache
def classifier(path: Path = DATA_PATH) -> StepClassifier:
    """The classifier trained from the data file (once per process)."""
    return train(load_examples(path))


def dealer_words(catalog) -> tuple[str, ...]:
    """The ways a trainee names the dealer: its name, short name, and the short name
    without its trade word (瑞通汽车 → 瑞通)."""
    words = {catalog.name, catalog.short_name}
    for trade in ("汽车", "售后"):
        stem = catalog.short_name.removesuffix(trade)
        if len(stem) >= 2:
            words.add(stem)
    return tuple(sorted(words, key=len, reverse=True))


def steps_in(text: str, catalog) -> set[str]:
    """The script steps (and `empathy`) a trainee's line performs. The greeting is the
    dealer's name with the trainee's own (`self_intro`) in the same line."""
    found = classifier().predict(text)
    if "self_intro" in found:
        found.discard("self_intro")
        if any(word in text for word in dealer_words(catalog)):
            found.add("greeting")
    return found
