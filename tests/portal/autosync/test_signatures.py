"""Webhook signatures are checked over the raw bytes, in constant time, and fail closed."""

import hashlib
import hmac

from portal.autosync.signatures import sign, verify_signature

SECRET = "whsec_test_secret"
BODY = b'{"event":"workorder.completed","shop_id":1,"data":{"id":1043}}'
GOOD = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()


def test_the_signature_is_the_lowercase_hex_hmac_sha256_of_the_body():
    assert sign(BODY, SECRET) == GOOD


def test_a_correct_signature_is_accepted_bare_prefixed_or_in_upper_case():
    assert verify_signature(BODY, GOOD, SECRET)
    assert verify_signature(BODY, f"sha256={GOOD}", SECRET)
    assert verify_signature(BODY, GOOD.upper(), SECRET)


def test_a_changed_body_is_refused():
    assert not verify_signature(BODY.replace(b"1043", b"1044"), GOOD, SECRET)


def test_another_secret_is_refused():
    assert not verify_signature(BODY, GOOD, "whsec_other")


def test_missing_empty_and_garbage_headers_are_refused():
    for header in (None, "", "sha256=", "not-hex", GOOD[:-1], "é" * 64, f"md5={GOOD}"):
        assert not verify_signature(BODY, header, SECRET)


def test_an_empty_secret_refuses_everything():
    assert not verify_signature(BODY, sign(BODY, ""), "")
