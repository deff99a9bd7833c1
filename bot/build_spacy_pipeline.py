"""Build the blank Chinese spaCy pipeline that SpacyNLP loads.

A jieba-segmenting ``spacy.blank("zh")`` plus an entity_ruler whose patterns
come from the data files (bot.vocabulary). Run: python -m bot.build_spacy_pipeline <dir>
"""
from __future__ import annotations

import sys
from pathlib import Path

import spacy

from bot.components.jieba_dictionary import load_vocabulary
from bot.vocabulary import entity_terms


def build(target: Path) -> None:
    load_vocabulary()
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(
        [{"label": label, "pattern": word} for label, words in entity_terms().items() for word in words]
    )
    target.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "build/spacy_zh"))
    print("spaCy pipeline written")
