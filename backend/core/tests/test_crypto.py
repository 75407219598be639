from core.crypto import blind_index, decrypt, encrypt


def test_encrypt_roundtrip_is_randomised():
    a, b = encrypt("11010519491231002X"), encrypt("11010519491231002X")
    assert a != b  # fresh nonce each time: equal plaintexts are not linkable from the ciphertext
    assert "11010519491231002X" not in a
    assert decrypt(a) == decrypt(b) == "11010519491231002X"


def test_blind_index_is_deterministic_and_normalised():
    assert blind_index("11010519491231002x") == blind_index(" 11010519491231002X ")
    assert blind_index("11010519491231002X") != blind_index("110105194912310029")
