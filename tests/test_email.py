"""The standard-library e-mail check (fiche.emailadres, also what the add-in runs in Pyodide) gives
email-validator's syntax verdict (no DNS) on a list of valid and invalid addresses, in CPython."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email

from fiche.emailadres import email_fout as _email_fout

GELDIG = [
    "anna.devries@drenthe.nl", "b.jansen+pmiek@enexis.nl", "o'brien@tennet.eu", "x@sub.domein.gasunie.nl",
    "ANNA@DRENTHE.NL", "a@b.co", "a_b@c-d.nl", "1234@5678.nl", "a@123.nl", "a@b.c2c", "x@xn--drnthe-xxa.nl",
    "!#$%&'*+-/=?^_`{|}~@drenthe.nl", "a.b.c.d@e.f.g.h.nl", "anna@drënthe.nl", "anna@münchen.de",
    "jörg@münchen.de", "δοκιμή@παράδειγμα.δοκιμή", "用户@例子.广告", "anna@ÉXAMPLE.nl", "anna@xn--80ak6aa92e.com",
    "a" * 64 + "@drenthe.nl", "anna@" + "d" * 63 + ".nl", "x@" + ".".join(["a" * 61] * 4) + ".nl",
    "a@b-c.d-e.nl", "a@b--c.nl", "anna@drenthe。nl", "anna@s.example", "name@tld.museum", "üñî@çøđé.com",
    "a@x.y.z.local.nl", "e@ee.q9z", "anna@drenthe.n-l", "anna@مثال.إختبار", "a@xn--mgbh0fb.xn--kgbechtv",
    # email-validator enforces the 64-character local part only in strict mode.
    "a" * 65 + "@drenthe.nl",
]
ONGELDIG = [
    "", "@", "anna", "anna@", "@drenthe.nl", "anna@@drenthe", "anna@drenthe@nl", "anna(at)drenthe.nl",
    ".anna@drenthe.nl", "anna.@drenthe.nl", "anna..b@drenthe.nl", "anna@drenthe", "anna@-drenthe.nl",
    "anna@drenthe-.nl", "anna@drenthe.test", "anna@localhost", "anna@x.localhost", "anna@x.local",
    "anna@onion", "a@b.invalid", "a@in-addr.arpa", "anna@drenthe.123", "\"anna b\"@drenthe.nl",
    "\"anna\"@drenthe.nl", "anna@" + "d" * 64 + ".nl",
    "x@" + ".".join(["a" * 62] * 4) + ".nl", "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".nl",
    "anna devries@drenthe.nl", " anna@drenthe.nl", "anna@drenthe.nl ", "anna@dren the.nl", "anna@drenthe..nl",
    "anna@.drenthe.nl", "anna@drenthe.nl.", "Anna <anna@drenthe.nl>", "<anna@drenthe.nl>", "anna@[127.0.0.1]",
    "anna@drenthe_nl.nl", "anna@ab--cd.nl", "a,b@drenthe.nl", "a;b@drenthe.nl", "a:b@drenthe.nl",
    "a[b]@drenthe.nl", "a\\b@drenthe.nl", "a(b)@drenthe.nl", "a<b@drenthe.nl", "anna@☃.net",
    "anna\u00a0b@drenthe.nl", "anna\u200bb@drenthe.nl", "anna\tb@drenthe.nl", "anna\nb@drenthe.nl",
    "anna＠drenthe.nl", "anna@drenthe.nl\n", "\u0301anna@drenthe.nl", "anna@\u0301drenthe.nl", "anna@dren!the.nl",
    "anna@dren*the.nl", "anna@1.2.3.4", "a@b.c-", "a@-.nl",
]


def _email_validator_zegt_geldig(adres: str) -> bool:
    try:
        validate_email(adres, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@pytest.mark.parametrize("adres", GELDIG)
def test_valid_addresses(adres):
    assert _email_validator_zegt_geldig(adres), "the list is wrong: email-validator refuses it"
    assert _email_fout(adres) is None


@pytest.mark.parametrize("adres", ONGELDIG)
def test_invalid_addresses(adres):
    assert not _email_validator_zegt_geldig(adres), "the list is wrong: email-validator accepts it"
    assert _email_fout(adres) is not None


def test_random_addresses_get_the_same_verdict():
    # Pieces that trip the rules: separators, Punycode and R-LDH prefixes, special-use names,
    # combining marks, right-to-left letters and digits, a zero-width joiner, a fullwidth stop.
    import random

    rnd = random.Random(9)
    stukken = ["a", "b", "Z", "0", "9", ".", "-", "_", "+", "'", "@", " ", "ë", "ü", "δ", "用", "\u0301",
               "!", "(", '"', "xn--", "ab--", "nl", "com", "local", "test", "123", "。", "xn--drnthe-xxa",
               "xn--80ak6aa92e", "Ë", "ß", "\u200d", "٣", "ا"]
    verschillen = []
    for _ in range(6000):
        adres = "".join(rnd.choice(stukken) for _ in range(rnd.randint(1, 10)))
        if rnd.random() < 0.7:
            domein = "".join(rnd.choice(stukken) for _ in range(rnd.randint(1, 8))).replace("@", "")
            adres = f"{adres.replace('@', '')}@{domein}.{rnd.choice(['nl', 'com', 'δοκιμή', 'x1', 'test'])}"
        if _email_validator_zegt_geldig(adres) != (_email_fout(adres) is None):
            verschillen.append(adres)
    assert verschillen == []
