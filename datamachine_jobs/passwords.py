"""Application passwords: generation, the display form, and the keyed digest that is stored.

They are 24 random letters and digits (about 143 bits), so a keyed BLAKE2b is enough: checking
one costs about a microsecond, where a slow password hash would cap every worker's throughput.
"""
import hashlib
import hmac
import re
import secrets
import string

ALPHABET = string.ascii_letters + string.digits
LENGTH = 24
GROUP = 4
NOT_ALPHANUMERIC = re.compile(r'[^A-Za-z0-9]')


def generate():
    """A new random application password (ungrouped)."""
    return ''.join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def grouped(password):
    """The display form: six groups of four separated by spaces."""
    return ' '.join(password[i:i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise(password):
    """Drop everything but letters and digits, so the grouped and the plain forms both work."""
    return NOT_ALPHANUMERIC.sub('', password)


def digest(password, key):
    """The stored form of a password: keyed BLAKE2b-256 of its normalised text, in hex."""
    return hashlib.blake2b(normalise(password).encode(), key=key, digest_size=32).hexdigest()


def matches(stored_digest, candidate_digest):
    """Compare two digests in constant time."""
    return hmac.compare_digest(stored_digest, candidate_digest)
