"""Page heuristics the line engine (``chrome``) and the block engine (``html``) share: the
jusText-style class of a line of text, whether a comment thread is the page's content, author
boxes, repeated text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from dechaff.chrome.features import TERMINAL, words_of
from dechaff.chrome.params import DEFAULTS, ChromeParams

# words that make up much of running text in the languages most web text is in; chrome lines have few
_STOPWORDS = frozenset(["a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "der", "die", "das", "und", "ist", "nicht", "ein", "eine", "mit", "den", "dem", "des", "sich", "auf", "für", "von", "zu", "im", "auch", "als", "es", "le", "la", "les", "et", "est", "un", "une", "des", "du", "dans", "pour", "qui", "que", "pas", "sur", "au", "avec", "ce", "il", "elle", "el", "los", "las", "y", "es", "en", "un", "una", "por", "con", "para", "que", "se", "del", "al", "lo", "como", "il", "lo", "gli", "e", "di", "che", "non", "per", "una", "con", "sono", "della", "de", "het", "een", "en", "van", "is", "dat", "op", "te", "zijn", "niet", "met", "voor",
    # Portuguese, Indonesian / Malay, Polish, Czech, Swedish, Danish / Norwegian, Turkish, Romanian,
    # Finnish, Hungarian: their commonest words that are not also English words ("pro", "mint", "var",
    # "co") nor single letters ("it's" and "U.S." leave single letters in English text)
    "não", "os", "em", "dos", "das", "ao", "mais", "mas", "foi", "são", "pelo", "pela",
    "yang", "dan", "ini", "itu", "dengan", "untuk", "dari", "dalam", "tidak", "akan", "pada", "juga",
    "karena", "adalah", "atau", "kita", "anda", "saya", "mereka", "bisa", "sebagai", "oleh", "telah",
    "nie", "na", "się", "że", "jest", "jak", "od", "za", "są", "je", "že", "jako", "jsou",
    "och", "att", "det", "som", "på", "är", "av", "för", "med", "till", "inte", "ett", "jag",
    "og", "er", "af", "ikke", "jeg",
    "ve", "bir", "için", "ile", "çok", "daha", "gibi", "olarak",
    "și", "în", "cu", "pe", "că", "nu", "este", "să", "din", "care", "mai",
    "ja", "ei", "että", "hän", "oli", "ovat", "mutta", "kun", "tai", "myös", "niin",
    "az", "és", "hogy", "nem", "egy", "van", "meg", "már", "csak"])


# a full stop of the scripts with spaces and without, maybe inside a closing quote or bracket
_SENTENCE_END = re.compile(r"[.!?…。！？」』]$|[.!?…。！？][\"'\u201d\u2019\u00bb)\]」』]$")
NO_SPACE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


def ends_sentence(s: str) -> bool:
    """Whether ``s`` (trailing blanks aside) ends with a full stop: only its last two characters are read."""
    return _SENTENCE_END.search(s.rstrip()[-2:]) is not None


def line_class(line: str) -> str:
    """jusText-style initial class of one line: good, near (near-good), short or bad."""
    s = line.strip()
    words = words_of(s.lower())
    n = len(words)
    if n == 0:
        return "bad"
    stop = sum(map(_STOPWORDS.__contains__, words)) / n
    if stop == 0:
        return line_class_unknown_language(s, n)
    if len(s) >= 120 and stop >= 0.2:
        return "good"
    if len(s) >= 60 and stop >= 0.15 and TERMINAL.search(s[-2:]):
        return "good"
    if len(s) >= 40 and stop >= 0.1:
        return "near"
    if n >= 5 and TERMINAL.search(s[-2:]) and stop >= 0.1:
        return "near"  # a short sentence
    return "short"


def line_class_unknown_language(s: str, n: int) -> str:
    """A line with none of the stopwords: a language they do not cover (or no language: a list of
    names, a menu). Sentences are told by their length, their end and their case: ten or more words
    (or, in a script written without spaces, 40 characters), mostly in lower case, closed by a full
    stop."""
    if not ends_sentence(s):
        return "short"
    words = words_of(s)
    lower = sum(1 for w in words if w[0].islower())
    upper = sum(1 for w in words if w[0].isupper())
    if upper + lower and lower < 0.5 * (upper + lower):
        return "short"  # Title Case: product names and headlines, not running text
    dense_script = NO_SPACE_SCRIPT.search(s) is not None  # a character there says what a word says here
    long_enough = n >= 10 or (dense_script and len(s) >= 40)
    if long_enough and len(s) >= (60 if dense_script else 120):
        return "good"
    return "near" if long_enough else "short"


def is_discussion(thread_words: int, rest_words: int, p: ChromeParams = DEFAULTS) -> bool:
    """Whether a comment thread holding ``thread_words`` words of prose, on a page whose other text
    holds ``rest_words``, is the page's content (a forum topic, a Q&A) rather than reader comments
    under an article: an article has a body of its own."""
    return thread_words >= p.discussion_min_words and rest_words < min(p.discussion_rest * thread_words,
                                                                        p.discussion_rest_max)


def good_line_words(line: str) -> int:
    """Words of a line that reads as running text (``line_class`` good), else 0."""
    return len(words_of(line)) if line_class(line) == "good" else 0


# "<Full Name> is a freelance writer and editor who ...": the author box of an article
BIO_RE = re.compile(
    r"^(?:[A-Z][\w'’.-]+\s){1,3}[A-Z][\w'’.-]+,?\s(?:is|was|has been)\s(?:a|an|the|currently)\s(?:[\w-]+\s){0,5}?"
    r"(?:writer|journalist|editor|reporter|contributor|author|columnist|freelancer|blogger|ceo|founder|"
    r"co-?founder|researcher|consultant|strategist|analyst|correspondent|producer|photographer)\b")


def is_author_bio(text: str, words: int, p: ChromeParams = DEFAULTS) -> bool:
    """Whether a block reads like an author box ("Jane Smith is a freelance writer who..."). Only
    a hint: callers drop it only after the body of the text (its last long paragraph), since a
    profile opens, and a course page describes its teachers, in the same words."""
    return words <= p.bio_max_words and bool(BIO_RE.match(text))


def bios_after_body(texts: Sequence[str], count_words: Callable[[str], int], keep: Sequence[bool],
                    is_body: Callable[[int], bool], p: ChromeParams = DEFAULTS) -> list[int]:
    """The kept texts that read like an author box and come after the body of the page: its last kept
    text of ``body_min_words`` (as ``count_words`` counts them) that ``is_body`` accepts (the engine's own
    idea of prose: a good line, an unlinked block) and that is not a bio itself."""
    if not any(BIO_RE.match(t) for t in texts):
        return []  # no text reads like an author box: the body need not be found
    words = [count_words(t) for t in texts]
    body = [i for i in range(len(texts)) if keep[i] and words[i] >= p.body_min_words and is_body(i)
            and not is_author_bio(texts[i], words[i], p)]
    if not body:
        return []
    return [i for i in range(body[-1] + 1, len(texts)) if keep[i] and is_author_bio(texts[i], words[i], p)]


def repeats(texts: Sequence[str], keep: Sequence[bool], p: ChromeParams = DEFAULTS) -> list[tuple[int, int]]:
    """``(i, j)`` for every kept text ``i`` the page already showed as kept text ``j`` (case and spacing
    aside; texts of fewer than ``repeat_min_words`` words repeat legitimately): responsive templates
    render sections twice, credits and calls to action recur under every item. The first copy stays."""
    first: dict[str, int] = {}
    out = []
    for i, t in enumerate(texts):
        if not keep[i]:
            continue
        words = t.split()
        if max(len(words), 1) < p.repeat_min_words:  # (counted before the key is made: most lines are short)
            continue
        j = first.setdefault(" ".join(words).lower(), i)
        if j != i:
            out.append((i, j))
    return out
