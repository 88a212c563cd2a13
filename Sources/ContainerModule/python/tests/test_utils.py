from gosmart.utils import convert_parameter


def test_direct_casts():
    assert convert_parameter("0.5", "float") == 0.5
    assert convert_parameter("12", "integer") == 12
    assert convert_parameter("rfa", "string") == "rfa"


def test_booleans_are_true_unless_false_or_empty():
    assert convert_parameter("False", "boolean") is False
    assert convert_parameter("FALSE", "boolean") is False
    assert convert_parameter("", "boolean") is False
    assert convert_parameter("0", "boolean") is True
    assert convert_parameter("yes", "boolean") is True


def test_null_is_none():
    assert convert_parameter("null", "float") is None
    assert convert_parameter(None, "string") is None


def test_other_types_and_failed_casts_go_through_json():
    assert convert_parameter("[1, 2]", "array(int)") == [1, 2]
    assert convert_parameter('[[1, 2.5, "a"]]', "array(array(int, float, string))") == [[1, 2.5, "a"]]
    assert convert_parameter("3.0", "integer") == 3.0
    assert convert_parameter("{\"a\": 1}", None) == {"a": 1}


def test_unparseable_values_stay_strings():
    assert convert_parameter("not json", "weird") == "not json"
    assert convert_parameter("x", "float") == "x"
    assert convert_parameter("[1,", "array(int)", try_json=False) == "[1,"
