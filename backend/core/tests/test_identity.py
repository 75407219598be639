from core.identity import (
    id_number_check_char,
    id_number_sex,
    is_valid_id_number,
    is_valid_mobile,
    mask_id_number,
    mask_name,
    mask_phone,
)


def test_id_number_checksum_gb11643():
    # The standard's worked example: 11010519491231002X.
    assert id_number_check_char("11010519491231002") == "X"
    assert is_valid_id_number("11010519491231002X")
    assert is_valid_id_number("11010519491231002x")  # lower-case x is normalised
    assert not is_valid_id_number("110105194912310021")  # wrong check digit
    assert not is_valid_id_number("11010519491331002X")  # month 13
    assert not is_valid_id_number("1101051949123100")  # too short
    assert id_number_sex("11010519491231002X") == "F"


def test_masks_hide_the_middle():
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_id_number("") == ""


def test_mobile_numbers():
    assert is_valid_mobile("13812345678")
    assert is_valid_mobile("+86 138-1234-5678")
    assert not is_valid_mobile("12812345678")
    assert not is_valid_mobile("1381234567")


def test_an_id_number_born_in_the_future_is_invalid():
    from datetime import timedelta

    from django.utils import timezone

    from core.identity import id_number_check_char

    def with_birth(day):
        first17 = f"110105{day:%Y%m%d}123"
        return first17 + id_number_check_char(first17)

    today = timezone.localdate()
    assert is_valid_id_number(with_birth(today))  # a newborn's
    assert not is_valid_id_number(with_birth(today + timedelta(days=1)))
    assert not is_valid_id_number(with_birth(today + timedelta(days=30 * 365)))
