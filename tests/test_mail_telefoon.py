"""The quarterly e-mail read on a phone: laid out by headless Chromium at 320 and 375 px wide,
nothing may stick out sideways (no horizontal scrolling), and no ordinary word is broken over
two lines, with the real timeline picture and the hostile fiche texts of the sample (a long
formula without spaces among them, which may break anywhere)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from sample_overzicht import sample_overzicht

from sync.kwartaal.bericht import html_versie
from sync.kwartaal.inhoud import bouw_rapport
from sync.kwartaal.tijdlijn import tijdlijn_png

# Headless Chromium will not make its window narrower than 500 px, so the mail is put in a
# box of the phone's width and the box's overflow is measured instead.
METING = """<script>
window.addEventListener('load', function () {
var box = document.getElementById('telefoon');
var breed = [...box.querySelectorAll('*')].filter(
  e => e.getBoundingClientRect().right > box.getBoundingClientRect().right + 0.5);
// Every ordinary word (letters only, shorter than the long tokens bericht may break anywhere):
// its laid-out boxes must all stand on one line, else the browser broke it mid-word.
var gebroken = [];
var walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
var woord = /[A-Za-z\u00C0-\u017F]{2,23}/g;
for (var n = walker.nextNode(); n; n = walker.nextNode()) {
  // A long unbroken token (a formula, a URL) is in a span that may break anywhere: not a word.
  if (getComputedStyle(n.parentElement).overflowWrap === 'anywhere') continue;
  var m;
  while ((m = woord.exec(n.data)) !== null) {
    var r = document.createRange();
    r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length);
    var regels = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.bottom)));
    if (regels.size > 1) gebroken.push(m[0]);
  }
}
document.title = 'breedte=' + box.scrollWidth + ';uitstekend=' + breed.length + ';gebroken=' +
  gebroken.length + ';voorbeelden=' + gebroken.slice(0, 10).join(',') + ';uit=' +
  breed.slice(-3).map(e => e.tagName + ' ' + e.textContent.slice(0, 40).replace(/[;=<]/g, ' ')).join(' | ') +
  ';img=' +
  Math.round(document.querySelector('img').getBoundingClientRect().width) + 'x' +
  Math.round(document.querySelector('img').getBoundingClientRect().height);
});
</script>"""


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.fail("Chromium is required; scripts/system-packages.sh installs it")
    return binary


def _meet(chromium: str, tmp_path, breedte: int) -> dict[str, str]:
    rapport = bouw_rapport(sample_overzicht())
    (tmp_path / "tijdlijn.png").write_bytes(tijdlijn_png(rapport.projecten, rapport.peildatum))
    html = html_versie(rapport, "tijdlijn@test").replace("cid:tijdlijn@test", "tijdlijn.png")
    begin = html.index(">", html.index("<body")) + 1
    html = (html[:begin] + f'<div id="telefoon" style="width:{breedte}px;overflow:auto;">'
            + html[begin:].replace("</body>", "</div>" + METING + "</body>"))
    pagina = tmp_path / f"mail-{breedte}.html"
    pagina.write_text(html, encoding="utf-8")
    r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", f"--user-data-dir={tmp_path / 'profiel'}",
                        "--virtual-time-budget=3000", "--dump-dom", pagina.as_uri()],
                       capture_output=True, text=True, timeout=120)
    titel = re.search(r"<title>(breedte=[^<]*)</title>", r.stdout)
    assert titel, r.stderr[-2000:]
    return dict(deel.split("=", 1) for deel in titel.group(1).split(";"))


@pytest.mark.parametrize("breedte", [320, 375])
def test_the_email_fits_a_phone_without_sideways_scrolling_or_broken_words(chromium, tmp_path, breedte):
    m = _meet(chromium, tmp_path, breedte)
    assert int(m["breedte"]) <= breedte, str(m)
    assert m["uitstekend"] == "0", m
    # Words wrap at word boundaries: none of them is split over two lines.
    assert m["gebroken"] == "0", m
    # The picture is shown, scaled to the column, not at its 720 px.
    b, h = (int(x) for x in m["img"].split("x"))
    assert 250 <= b <= breedte and h > b
