"""The trainee-line classifier: a trainee's own wording counts."""
from __future__ import annotations

from dealer.catalog import load_catalog
from training.nlu import classifier, load_examples, normalise, steps_in, train


def test_own_wordings_of_the_name_question_are_recognised():
    for line in ("先生您贵姓啊?", "我该如何称呼您呢?", "您姓啥?", "请教一下您的尊姓"):
        assert "ask_name" in steps_in(line, load_catalog()), line


def test_one_line_may_perform_several_steps():
    found = steps_in("到时候请带好行驶证,前一天我们会电话提醒您,谢谢您!", load_catalog())
    assert {"documents", "reminder", "thanks"} <= found


def test_the_greeting_needs_the_dealers_name_and_ones_own():
    catalog = load_catalog()
    assert "greeting" in steps_in("您好,瑞通汽车,我是服务顾问周明", catalog)
    assert "greeting" not in steps_in("您好,我是服务顾问周明", catalog)
    assert "greeting" not in steps_in("您好,瑞通汽车售后", catalog)


def test_training_is_deterministic_and_fits_its_data():
    examples = load_examples()
    model = train(examples)
    assert model.weights == train(examples).weights
    fitted = sum(max(s := model.clause_scores(normalise(t)), key=s.get) == label for t, label in examples)
    assert fitted / len(examples) > 0.95
    assert classifier() is classifier()
