"""Is this text a well-formed e-mail address? The check of the fiche's e-mail fields, in the
standard library only: the add-in runs it in Pyodide, where email-validator and its dependencies
dnspython and idna would be a download from PyPI at first use.

It applies the syntax rules of email-validator 2 with its defaults and without DNS
(`check_deliverability=False`): dot-atom local part (international characters allowed, quoted
local parts not), a domain of letter-digit-hyphen labels with a period and a top-level domain
ending in a letter, no special-use domains, the length limits of RFC 5321 and DNS, Punycode
labels that decode, and RFC 5893's bidi rule. tests/test_email.py holds both to the same verdict
on a list of valid and invalid addresses and on random ones. What it leaves out: email-validator's
full IDNA 2008 tables; here an international label may hold letters, digits and combining marks
(what IDNA 2008 allows in practice).
"""

from __future__ import annotations

import re
import unicodedata

_ATEXT = r"A-Za-z0-9_!#$%&'*+\-/=?^`{|}~"
_LOKAAL = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*\Z")
_LOKAAL_INTL = re.compile(rf"[{_ATEXT}\u0080-\U0010FFFF]+(?:\.[{_ATEXT}\u0080-\U0010FFFF]+)*\Z")
_LABEL = re.compile(r"(?:[a-z0-9][a-z0-9-]*)?[a-z0-9]\Z")
#: Special-use domains email-validator refuses (RFC 6761 and friends), with every subdomain.
_SPECIAAL_DOMEIN = ("arpa", "invalid", "local", "localhost", "onion", "test")
#: What UTS 46 maps to a label separator.
_PUNTEN = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def _veilige_tekens(tekst: str) -> bool:
    """No control, format, separator or unassigned characters, no combining mark first."""
    for i, teken in enumerate(tekst):
        soort = unicodedata.category(teken)
        if soort[0] in "LNPS" or (soort[0] == "M" and i > 0):
            continue
        return False
    return True


def _unicode(ascii_label: str) -> str:
    return ascii_label[4:].encode("ascii").decode("punycode") if ascii_label.startswith("xn--") else ascii_label


def _idn_fout(label: str) -> bool:
    """True when an international label holds more than letters, digits, combining marks (not
    first) and inner hyphens, or is not in NFC lower case."""
    if label != unicodedata.normalize("NFC", label).lower() or label[0] == "-" or label[-1] == "-":
        return True
    if unicodedata.category(label[0])[0] == "M" or label[2:4] == "--":
        return True
    return not all("a" <= t <= "z" or "0" <= t <= "9" or t == "-"
                   or unicodedata.category(t) in ("Ll", "Lo", "Lm", "Mn", "Mc", "Nd") for t in label)


def _bidi_fout(label: str, ltr_ook: bool) -> bool:
    """The bidi rule of RFC 5893 for one label (IDNA 2008): a label with right-to-left characters,
    and with `ltr_ook` every label of a domain that has them, must read in one direction."""
    richtingen = [unicodedata.bidirectional(t) for t in label]
    if not ltr_ook and not {"R", "AL", "AN"} & set(richtingen):
        return False
    eind = [r for r in richtingen if r != "NSM"]
    if richtingen[0] in ("R", "AL"):
        toegestaan = {"R", "AL", "AN", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"}
        return (not set(richtingen) <= toegestaan or not eind or eind[-1] not in ("R", "AL", "EN", "AN")
                or {"EN", "AN"} <= set(richtingen))
    if richtingen[0] == "L":
        toegestaan = {"L", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"}
        return not set(richtingen) <= toegestaan or not eind or eind[-1] not in ("L", "EN")
    return True


def email_fout(adres: str) -> str | None:
    """None for a well-formed address, else the (English) reason."""
    if adres.count("@") != 1:
        return "an address has exactly one @-sign"
    if len(adres.encode("utf-8")) > 254:
        return "the address is longer than 254 bytes"
    lokaal, _, domein = adres.partition("@")
    if not lokaal:
        return "nothing before the @-sign"
    if not _LOKAAL.match(lokaal):
        if not (_LOKAAL_INTL.match(lokaal) and _veilige_tekens(lokaal)):
            return "invalid characters or periods before the @-sign"
    return _domein_fout(domein)


def _domein_fout(domein: str) -> str | None:
    if len(domein) > 253:
        return "the domain is longer than 253 characters"
    domein = unicodedata.normalize("NFC", domein.translate(_PUNTEN)).lower()
    labels = domein.split(".")
    ascii_labels = []
    for label in labels:
        if not label:
            return "an empty label (two periods, or a period at the start or end) after the @-sign"
        if re.match(r"(?!xn)..--", label):
            return "two characters and two hyphens start a label (only Punycode may)"
        if label.isascii() and not label.startswith("xn--"):
            ascii_label = label
        else:
            if label.isascii():  # Punycode: must decode to a valid international label
                try:
                    unicode_label = label[4:].encode("ascii").decode("punycode")
                except (UnicodeError, ValueError):
                    return "a Punycode label that does not decode"
                if unicode_label.isascii() or "xn--" + unicode_label.encode("punycode").decode("ascii") != label:
                    return "a Punycode label that is not in its normal form"
            else:
                unicode_label = label
            if _idn_fout(unicode_label):
                return "invalid characters in an international domain name"
            ascii_label = "xn--" + unicode_label.encode("punycode").decode("ascii")
        if not _LABEL.match(ascii_label):
            return "invalid characters, or a hyphen at the start or end of a label, after the @-sign"
        if len(ascii_label) > 63:
            return "a label after the @-sign is longer than 63 characters"
        ascii_labels.append(ascii_label)
    unicode_labels = [_unicode(label) for label in ascii_labels]
    rtl = any(unicodedata.bidirectional(t) in ("R", "AL", "AN") for label in unicode_labels for t in label)
    if any(_bidi_fout(label, rtl) for label in unicode_labels):
        return "a domain name that mixes writing directions"
    ascii_domein = ".".join(ascii_labels)
    if len(ascii_domein) > 253:
        return "the domain is longer than 253 characters"
    if len(ascii_labels) < 2:
        return "the domain has no period"
    if not ascii_domein[-1].isalpha():
        return "the domain does not end in a top-level domain"
    if any(ascii_domein == d or ascii_domein.endswith("." + d) for d in _SPECIAAL_DOMEIN):
        return "a special-use or reserved domain"
    return None
