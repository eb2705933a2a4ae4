import pytest

from grassroots.core.crypto import blind_index, decrypt, encrypt
from grassroots.core.masking import mask_id_number, mask_name, mask_phone


def test_id_number_mask_hides_birth_date():
    assert mask_id_number("11010519491231002X") == "110105********002X"


def test_phone_mask():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("010-1234") == "010-1234"[:3] + "*" + "1234"
    assert mask_phone("123") == "***"


def test_name_mask():
    assert mask_name("张伟") == "张*"
    assert mask_name("欧阳修") == "欧阳*"
    assert mask_name("张") == "张*"


def test_encryption_round_trip_and_no_plain_text():
    token = encrypt("13812345678")
    assert "13812345678" not in token
    assert decrypt(token) == "13812345678"
    assert encrypt("") == "" and decrypt("") == ""


def test_wrong_key_is_an_error(settings):
    token = encrypt("secret")
    settings.FIELD_ENCRYPTION_KEY = "another-key"
    with pytest.raises(ValueError):
        decrypt(token)


def test_blind_index_is_deterministic_and_keyed(settings):
    a = blind_index("11010519491231002x", purpose="id_number")
    assert a == blind_index(" 11010519491231002X ", purpose="id_number")
    assert a != blind_index("11010519491231002X", purpose="phone")
    settings.FIELD_ENCRYPTION_KEY = "another-key"
    assert a != blind_index("11010519491231002X", purpose="id_number")
