import pytest

from dealer.symptoms import answers_in, completeness, is_dangerous, names_a_problem, tags


def test_an_opening_sentence_answers_what_where_and_when():
    found = answers_in("刹车的时候有异响,最近一周都这样")
    assert found["what"] == "刹车的时候有异响"
    assert found["where"] == "刹车的时候有异响"
    assert found["when"] == "最近一周都这样"
    assert "frequency" not in found and "tried" not in found


def test_frequency_impact_and_tried_are_recognised():
    found = answers_in("冷车启动的时候抖动,每次都这样,还能开,自己重启过没用")
    assert found["frequency"] == "每次都这样"
    assert found["driving_impact"] == "还能开"
    assert found["tried"] == "自己重启过没用"


@pytest.mark.parametrize("text", ["刹车很软,踩不住", "车子冒烟了", "水温过高报警", "仪表上红色警告灯亮了", "方向失控了一下"])
def test_danger_signs(text):
    assert is_dangerous(text)


@pytest.mark.parametrize("text", ["空调不制冷", "车门有异响", "想做个保养"])
def test_no_danger(text):
    assert not is_dangerous(text)


def test_tags_name_parts_and_symptom_types():
    assert tags("刹车的时候有异响,方向盘抖动") == {"parts": ["刹车", "方向盘"], "symptoms": ["异响", "抖动"]}


def test_an_overheating_engine_names_a_problem():
    # A symptom, not a part: "where" (road condition, speed) is still asked.
    assert "开锅" in tags("水温过高,开锅了")["symptoms"]
    assert names_a_problem("水温过高,开锅了")
    assert "where" not in answers_in("水温过高,开锅了")


def test_completeness_counts_real_answers_only():
    answers = {
        "what": "刹车异响", "when": "最近一周", "where": "刹车的时候",
        "frequency": "不清楚", "driving_impact": None, "tried": "没有",
    }
    assert completeness(answers) == 3
    assert completeness(None) == 0


def test_a_car_that_will_not_start_is_not_on_fire():
    assert not is_dangerous("早上打不着火了")
    assert is_dangerous("发动机舱着火了")
