"""What related news reads of an article: the stemmed words of its title, summary and body.

Words are lowercased, stop words dropped and the rest stemmed with the Snowball stemmer of
the article's language (English and Indonesian; other languages are only lowercased), so
that "floods", "flooding" and "flooded", or "banjir" and "kebanjiran", count as one term.
Each field's words count by its weight: a word of the title says more about the story
than a word of the body. The same code runs in the maintenance worker and the backfill,
on SQLite and PostgreSQL alike, so both databases give the same lists.
"""

import re
from functools import lru_cache

import Stemmer

from app.related.ranking import BODY_WEIGHT, SUMMARY_WEIGHT, TITLE_WEIGHT
from models.related import MAX_TERM

WORD = re.compile(r"[^\W_]+")


def _listed(text: str) -> frozenset[str]:
    """The words of a text block (keeps long word lists readable)."""
    return frozenset(text.split())


STOP_WORDS = {
    "en": _listed(
        """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves
said says say told according mr mrs ms one two three four five six seven eight nine ten
first last new next week weeks day days year years month months time monday tuesday
wednesday thursday friday saturday sunday today yesterday tomorrow may might must shall
still since however per cent percent people
"""
    ),
    "id": _listed(
        """
ada adalah agar akan akhir aku anda antara apa apabila atas atau bagi bahkan bahwa baik
banyak baru beberapa belum benar berada berbagai bersama besar bisa boleh bukan dalam dan
dari demikian dengan di dia dua ia ini itu jadi jika juga kali kami kamu karena ke kepada
kata katanya kembali kemudian ketika kini kita lagi lain lalu lebih maka mana masih mereka
meski mulai namun oleh pada para pernah per pun saat saja salah sama sangat satu saya
sebagai sebelum sedang sejak sekitar selama sementara seperti serta setelah sudah tahun
tak tapi telah tengah tentang terhadap tersebut tetapi tidak tiga untuk usai yaitu yakni
yang hari pekan bulan minggu senin selasa rabu kamis jumat sabtu hingga sampai menjadi
mengatakan menurut tersebut hanya harus empat lima enam tujuh delapan sembilan sepuluh
"""
    ),
}


@lru_cache(maxsize=16)
def _stemmer(language: str) -> "Stemmer.Stemmer | None":
    name = {"en": "english", "id": "indonesian"}.get(language)
    return Stemmer.Stemmer(name, 100_000) if name else None


def base_language(language: str) -> str:
    """The language of a BCP 47 code without its region: `en` for `en-GB`."""
    return language.split("-", 1)[0].lower()


def words(text: str, language: str) -> list[str]:
    """The terms of a text: lowercase words, stop words and lone digits left out, stemmed."""
    stop = STOP_WORDS.get(language, frozenset())
    kept = [
        word
        for word in WORD.findall(text.lower())
        if word not in stop and (len(word) > 2 if word.isdigit() else 1 < len(word) <= MAX_TERM)
    ]
    stemmer = _stemmer(language)
    return stemmer.stemWords(kept) if stemmer else kept


def term_counts(title: str, summary: str, body: str, language: str) -> dict[str, float]:
    """Each term's occurrences in the article, weighted by the field it occurs in."""
    language = base_language(language)
    counts: dict[str, float] = {}
    for text, weight in ((title, TITLE_WEIGHT), (summary, SUMMARY_WEIGHT), (body, BODY_WEIGHT)):
        for term in words(text, language):
            counts[term] = counts.get(term, 0.0) + weight
    return counts
