"""fiche.celadres, the standard-library cell-address helper, against openpyxl's own functions on
many addresses: the reader and the colour plan must see the same cells as before openpyxl left
the xlwings Lite path."""

from __future__ import annotations

import random

import pytest
from openpyxl.utils.cell import get_column_letter, range_boundaries as openpyxl_grenzen

from fiche import celadres


def _uitkomst(functie, argument):
    try:
        return functie(argument)
    except (ValueError, TypeError) as exc:
        return type(exc).__name__


def _adressen() -> list[str]:
    rnd = random.Random(9)
    vast = [
        "A1", "$B$6", "b6", "A$1", "$A1", "XFD1048576", "ZZZ1", "AAA1", "A0", "A01",
        "A1:B2", "$A$3:$I$23", "B2:A1", "a1:c3", "A:C", "$A:$B", "3:5", "$3:$5", "A", "1", "",
        "A1:", ":A1", "A1:B", "A:3", "3:A", "A1:B2:C3", "ZZZZ1", "AAAA1:B2", " A1", "A1 ", "A-1",
        "A1.5", "A1\n", "Fiche!A1", "#REF!", "$", "$$A1", "A$$1", "A1:$", "1A", "A1B2", "A:B1",
        "é1", "Ａ1",
    ]
    willekeurig = []
    for _ in range(2000):
        k1, k2 = rnd.randint(1, 18278), rnd.randint(1, 18278)
        r1, r2 = rnd.randint(0, 1_100_000), rnd.randint(0, 1_100_000)
        d = lambda: rnd.choice(("", "$"))  # noqa: E731
        vorm = rnd.randrange(5)
        if vorm == 0:
            willekeurig.append(f"{d()}{get_column_letter(k1)}{d()}{r1}")
        elif vorm == 1:
            willekeurig.append(f"{d()}{get_column_letter(k1)}{d()}{r1}:{d()}{get_column_letter(k2)}{d()}{r2}")
        elif vorm == 2:
            willekeurig.append(f"{d()}{get_column_letter(k1)}:{d()}{get_column_letter(k2)}".lower()
                               if rnd.random() < 0.3 else f"{get_column_letter(k1)}:{get_column_letter(k2)}")
        elif vorm == 3:
            willekeurig.append(f"{d()}{r1}:{d()}{r2}")
        else:
            tekens = "AZaz019$:-! "
            willekeurig.append("".join(rnd.choice(tekens) for _ in range(rnd.randint(1, 8))))
    return vast + willekeurig


@pytest.mark.parametrize("ref", _adressen())
def test_range_boundaries_as_openpyxl(ref):
    assert _uitkomst(celadres.range_boundaries, ref) == _uitkomst(openpyxl_grenzen, ref)


def test_column_letters_as_openpyxl():
    for n in list(range(-2, 800)) + list(range(16000, 18300)):
        assert _uitkomst(celadres.kolom_letters, n) == _uitkomst(get_column_letter, n)
    for n in range(1, 18279):
        assert celadres.kolom_nummer(get_column_letter(n)) == n


def test_cells_only():
    assert celadres.cel_grenzen("$B$6") == (2, 6, 2, 6)
    assert celadres.cel_grenzen("A3:I23") == (1, 3, 9, 23)
    assert celadres.cel_coord("$B$6") == (6, 2)
    assert celadres.bereik_coords("I23:A3") == (3, 1, 23, 9)
    with pytest.raises(TypeError):
        celadres.cel_grenzen("A:C")
    with pytest.raises(ValueError):
        celadres.cel_grenzen("Fiche!A1")
